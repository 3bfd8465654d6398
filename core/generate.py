"""Former import path of `nemo_skills.skillmd.generate`, kept so plugins and scripts written against it still work.

New code imports from `nemo_skills` (the plugin API) or `nemo_skills.skillmd.generate`.
"""

from nemo_skills.skillmd.generate import *  # noqa: F403
