"""Writes a course notebook's stored outputs in the format of the files beside this script.

    python3 extract.py NOTEBOOK.ipynb REPO PATH COMMIT N1 N2 ... > NAME.txt

N is a code cell's number among the notebook's code cells, counted from 1: the In[N] of a fresh in-order run (the
stored notebooks carry no execution counts). A block holds the cell's stdout and the text/plain of its execute_result,
in their order; figures (display_data) and stderr are left out, as the C# notebooks show neither.
"""
import json
import sys

notebook, repo, path, commit, *cells = sys.argv[1:]
code = [c for c in json.load(open(notebook, encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
print(f"# The stored outputs of {repo} {path} at commit {commit},")
print("# one block per cell the C# notebook reproduces: === Out[N], N counting the code cells from 1.")
print("# Written by extract.py beside this file.")
for n in map(int, cells):
    print(f"=== Out[{n}]")
    for o in code[n - 1].get("outputs", []):
        if o["output_type"] == "stream" and o["name"] == "stdout":
            print("".join(o["text"]), end="")
        elif o["output_type"] == "execute_result":
            print("".join(o["data"]["text/plain"]))
