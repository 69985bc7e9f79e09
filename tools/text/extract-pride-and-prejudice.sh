#!/usr/bin/env bash
# Re-creates kiln-data/src/main/resources/dev/kiln/data/text/pride-and-prejudice.txt, the English corpus
# Kiln ships for its character- and BPE-level GPT examples (see NOTES.md beside this script).
#
# Source: Debian package r-cran-janeaustenr (Julia Silge's janeaustenr, MIT-licensed packaging of the
# Project Gutenberg texts). The novel itself (Jane Austen, 1813) is in the public domain.
# We keep the novel from its title up to the last chapter that ends within 300,000 bytes, so the jar stays
# small while the GPT still sees about 300 KB of prose (the size the issue's PyTorch baseline used).
set -euo pipefail
out=${1:-"$(git rev-parse --show-toplevel)/kiln-data/src/main/resources/dev/kiln/data/text/pride-and-prejudice.txt"}
if ! Rscript -e 'library(janeaustenr)' >/dev/null 2>&1; then
  echo "needs R and janeaustenr: apt-get install --no-install-recommends r-cran-janeaustenr" >&2
  exit 1
fi
Rscript -e 'library(janeaustenr); writeLines(prideprejudice, "/dev/stdout", useBytes = TRUE)' > /tmp/pp-full.txt
python3 - "$out" <<'PY'
import re, sys
text = open('/tmp/pp-full.txt', encoding='utf-8').read()
limit = 300_000
starts = [m.start() for m in re.finditer(r'^Chapter \d+$', text, re.M)]
cut = max(s for s in starts if len(text[:s].encode('utf-8')) <= limit)
body = text[:cut].rstrip() + '\n'
open(sys.argv[1], 'w', encoding='utf-8').write(body)
print(f'{sys.argv[1]}: {len(body.encode("utf-8"))} bytes, chapters 1..{len([s for s in starts if s < cut])}')
PY
