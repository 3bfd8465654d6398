"""The built-in skill variants, each an ordinary plugin of the `nemo_skills` entry-point group."""
