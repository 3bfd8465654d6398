"""`python -m nemo_skills` runs the CLI."""

from nemo_skills.cli import main

main()
