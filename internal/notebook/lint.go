package notebook

// OutputIssue is a code cell that stores outputs or an execution count.
type OutputIssue struct {
	Notebook       string // the notebook's Path
	CellID         string
	CellNumber     int // 1-based index among code cells
	Outputs        int // stored outputs, 0 if none
	ExecutionCount int // stored execution count, 0 if none
}

// StoredOutputs lists the cells of nb that keep outputs or execution counts
// (contributors should clear them), in cell order; nil if there are none.
func StoredOutputs(nb *Notebook) []OutputIssue {
	var issues []OutputIssue
	for _, c := range nb.Cells {
		if c.Outputs == 0 && c.ExecutionCount == 0 {
			continue
		}
		issues = append(issues, OutputIssue{
			Notebook:       nb.Path,
			CellID:         c.ID,
			CellNumber:     c.Number,
			Outputs:        c.Outputs,
			ExecutionCount: c.ExecutionCount,
		})
	}
	return issues
}
