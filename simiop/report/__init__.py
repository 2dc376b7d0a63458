"""Reports: figures and a self-contained HTML page drawn from a finished result folder."""
