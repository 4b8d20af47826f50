package notebook

import (
	"reflect"
	"testing"
)

func TestStoredOutputs(t *testing.T) {
	tests := []struct {
		name  string
		cells string
		want  []OutputIssue
	}{
		{"no cells", ``, nil},
		{"clean", `{"cell_type": "code", "id": "a", "source": "", "outputs": [], "execution_count": null},
			{"cell_type": "code", "id": "b", "source": ""}`, nil},
		{"outputs and count", `{"cell_type": "code", "id": "a", "source": "", "outputs": [{}, {}], "execution_count": 3}`,
			[]OutputIssue{{Notebook: "x.ipynb", CellID: "a", CellNumber: 1, Outputs: 2, ExecutionCount: 3}}},
		{"outputs only", `{"cell_type": "code", "id": "a", "source": "", "outputs": [{}]}`,
			[]OutputIssue{{Notebook: "x.ipynb", CellID: "a", CellNumber: 1, Outputs: 1}}},
		{"execution count only", `{"cell_type": "code", "id": "a", "source": "", "outputs": [], "execution_count": 7}`,
			[]OutputIssue{{Notebook: "x.ipynb", CellID: "a", CellNumber: 1, ExecutionCount: 7}}},
		{"numbers count code cells only", `{"cell_type": "markdown", "source": "", "outputs": [{}]},
			{"cell_type": "code", "id": "a", "source": ""},
			{"cell_type": "code", "source": "", "outputs": [{}], "execution_count": 1},
			{"cell_type": "code", "id": "c", "source": "", "execution_count": 2}`,
			[]OutputIssue{{Notebook: "x.ipynb", CellID: "2", CellNumber: 2, Outputs: 1, ExecutionCount: 1},
				{Notebook: "x.ipynb", CellID: "c", CellNumber: 3, ExecutionCount: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb, err := Parse("x.ipynb", []byte(doc(tt.cells)))
			if err != nil {
				t.Fatal(err)
			}
			if got := StoredOutputs(nb); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("StoredOutputs:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestExamplesHaveNoStoredOutputs(t *testing.T) {
	paths, err := Find("../../examples/notebooks")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		nb, err := ReadFile(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for _, issue := range StoredOutputs(nb) {
			t.Errorf("%s: cell %s (#%d) stores %d outputs, execution count %d; clear them",
				path, issue.CellID, issue.CellNumber, issue.Outputs, issue.ExecutionCount)
		}
	}
}
