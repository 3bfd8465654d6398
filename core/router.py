"""Former import path of `nemo_skills.catalog.router`, kept so plugins and scripts written against it still work.

New code imports from `nemo_skills` (the plugin API) or `nemo_skills.catalog.router`.
"""

from nemo_skills.catalog.router import *  # noqa: F403
