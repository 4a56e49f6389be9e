"""The floor of an HTTP round trip on gunicorn: a WSGI application that answers a small
JSON body without Django or the database (bench/endpoints.py)."""

BODY = b'{"status": "ok"}'


def application(environ, start_response):
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
    )
    return [BODY]
