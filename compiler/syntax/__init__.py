"""The text side: policy source -> syntax tree (`parse`), and back to text (`unparse`, `fmt`).

    parse.py     source -> nodes, with every syntax error at once
    nodes.py     the syntax tree: one frozen class per grammar rule, each with its span
    unparse.py   the one printer of policy syntax, for syntax nodes and checked expressions
    fmt.py       `policyc fmt`: a whole source file in the canonical layout, comments kept
"""
