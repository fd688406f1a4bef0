"""A loopback HTTP server for the weights-download test (tests/cli/weights_download_test.sh).

Usage: weights_server.py ROOT PORT_FILE LOG_FILE
Serves files of ROOT under these path prefixes, on 127.0.0.1 and a free port written to PORT_FILE;
each GET is appended to LOG_FILE as its path:
  /good/NAME       the file
  /slow/NAME       the file in 64 KiB pieces, 20 ms apart (for two clients at once)
  /truncated/NAME  headers promise the whole file, half of it is sent, the connection closes
  /stall/NAME      headers and the first 1 KiB, then nothing until the client gives up
anything else is a 404. It runs until killed, and ends itself after 10 minutes in any case.
"""
import http.server
import os
import sys
import threading
import time

root, port_file, log_file = sys.argv[1:4]
log_lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        with log_lock, open(log_file, 'a') as log:
            log.write(self.path + '\n')
        parts = self.path.strip('/').split('/', 1)
        mode, name = (parts + [''])[:2]
        path = os.path.join(root, os.path.basename(name))
        if mode not in ('good', 'slow', 'truncated', 'stall') or not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, 'rb').read()
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        try:
            if mode == 'good':
                self.wfile.write(data)
            elif mode == 'slow':
                for i in range(0, len(data), 65536):
                    self.wfile.write(data[i:i + 65536])
                    time.sleep(0.02)
            elif mode == 'truncated':
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
            else:
                self.wfile.write(data[:1024])
                self.wfile.flush()
                time.sleep(30)
        except (BrokenPipeError, ConnectionResetError):
            pass


server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
server.daemon_threads = True
with open(port_file + '.tmp', 'w') as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + '.tmp', port_file)
threading.Timer(600, lambda: os._exit(0)).start()
server.serve_forever()
