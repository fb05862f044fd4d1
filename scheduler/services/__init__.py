"""Domain rules shared by the web pages, the CLI and the job process."""
