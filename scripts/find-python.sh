#!/usr/bin/env sh
# Prints the path of a working Python 3.10 interpreter, or explains what to do and fails.
# Rasa Open Source 3.6 supports Python 3.8-3.10 only.
for candidate in "${PYTHON310:-}" python3.10; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
        command -v "$candidate"
        exit 0
    fi
done
if command -v pyenv >/dev/null 2>&1; then
    for candidate in $(ls -d "$(pyenv root)"/versions/3.10.*/bin/python 2>/dev/null | sort -V -r); do
        if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
            echo "$candidate"
            exit 0
        fi
    done
fi
cat >&2 <<'MSG'
No Python 3.10 found. Rasa Open Source 3.6 runs on Python 3.10 (not 3.11 or later).
Install it, then run make again:
  - Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv   (or use the deadsnakes PPA)
  - pyenv:          pyenv install 3.10
  - macOS:          brew install python@3.10
Or point to one explicitly:  make run PYTHON310=/path/to/python3.10
MSG
exit 1
