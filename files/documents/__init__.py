"""Documents: text extraction in a sandboxed child, page-level chunks under a
full-text index, and the background jobs that connect an upload to both.

Modules: ``extract`` (what a file says, format by format; no Django), ``ocr``,
``models`` (TextChunk), ``index`` (storing chunks, the FTS tables), ``search`` (the
one search selector), ``jobs`` (the extraction task, its lease and re-queueing),
``apis`` (the text and search endpoints).
"""
