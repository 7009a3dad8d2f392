"""Qt-free AI work: code generation (streaming, parsing, edits, prompts) and video jobs."""
