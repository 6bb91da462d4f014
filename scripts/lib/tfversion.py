"""tfversion - taskfarm's version for its Python tools (scaling, plot-trace).

In a source tree it is read from lib/include/taskfarm.h (TF_VERSION_*), the one
place it is set; an installed tree has no header beside the tools, so
cmake --install writes it into a VERSION file next to them instead.
"""

import os
import re


def version(root):
    """"MAJOR.MINOR.PATCH", or "unknown" where neither file can be read."""
    header = os.path.join(root, "lib", "include", "taskfarm.h")
    try:
        with open(header) as f:
            text = f.read()
        parts = [re.search(rf"^#define TF_VERSION_{p} (\d+)", text, re.M) for p in
                 ("MAJOR", "MINOR", "PATCH")]
        if all(parts):
            return ".".join(m.group(1) for m in parts)
    except OSError:
        pass
    try:
        with open(os.path.join(root, "VERSION")) as f:
            return f.read().strip() or "unknown"
    except OSError:
        return "unknown"
