"""Build the docs site once into a temporary folder, and serve it on the loopback address for the browser."""
import functools
import http.server
import pathlib
import subprocess
import sys
import threading


def build_site(out: pathlib.Path) -> pathlib.Path:
    """``python -m tinygrad_gen.cli.docs --build --out OUT`` (generate, then mkdocs --strict); returns OUT/site."""
    done = subprocess.run([sys.executable, "-m", "tinygrad_gen.cli.docs", "--build", "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"the strict docs build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return out / "site"


class Server:
    """The site on http://127.0.0.1:PORT/ (a thread; ``close()`` stops it)."""

    def __init__(self, root: pathlib.Path):
        handler = functools.partial(_Quiet, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
