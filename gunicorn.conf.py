# gunicorn settings for production: `gunicorn 'app:app'` reads this file.
# Private calendar feed URLs carry secret tokens; this logger keeps them out of the log.
logger_class = "scheduler.logs.GunicornLogger"
bind = "0.0.0.0:8000"
workers = 3
