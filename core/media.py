"""Former import path of `nemo_skills.files.media`, kept so plugins and scripts written against it still work.

New code imports from `nemo_skills` (the plugin API) or `nemo_skills.files.media`.
"""

from nemo_skills.files.media import *  # noqa: F403
