"""Former import path of `nemo_skills.catalog.skill`, kept so plugins and scripts written against it still work.

New code imports from `nemo_skills` (the plugin API) or `nemo_skills.catalog.skill`.
"""

from nemo_skills.catalog.skill import *  # noqa: F403
