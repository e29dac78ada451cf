"""Records which fake-server requests each scenario call made (for calls.json)."""
import json
import os


class Calls:
    def __init__(self):
        self.log = os.environ["FAKE_LLM_LOG"]
        self.made = []

    def _sent(self):
        return sum(1 for _ in open(self.log)) if os.path.exists(self.log) else 0

    def record(self, label, run):
        before = self._sent()
        run()
        self.made.append({"label": label, "fake_requests": list(range(before + 1, self._sent() + 1))})

    def save(self, path):
        with open(path, "w") as f:
            json.dump(self.made, f, indent=2)
