// Package notebook parses Jupyter notebooks and runs their code cells on a kernel, reporting per-cell results and events.
package notebook
