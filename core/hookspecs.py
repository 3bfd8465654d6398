"""Former import path of `nemo_skills.catalog.hookspecs`, kept so plugins and scripts written against it still work.

New code imports from `nemo_skills` (the plugin API) or `nemo_skills.catalog.hookspecs`.
"""

from nemo_skills.catalog.hookspecs import *  # noqa: F403
