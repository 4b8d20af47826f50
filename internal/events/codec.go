package events

import (
	"encoding/json"
	"errors"
	"fmt"
)

// MarshalLine renders one event as a JSON line: {"event":"<name>",<fields>}\n.
// The JSON lines sink, the spool and other readers share this format;
// UnmarshalLine reverses it.
func MarshalLine(e Event) ([]byte, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encoding %s event: %w", e.Name(), err)
	}
	name, err := json.Marshal(e.Name())
	if err != nil {
		return nil, fmt.Errorf("encoding event name %q: %w", e.Name(), err)
	}
	line := make([]byte, 0, len(body)+len(name)+12)
	line = append(line, `{"event":`...)
	line = append(line, name...)
	if len(body) > 2 {
		line = append(line, ',')
	}
	line = append(line, body[1:]...)
	return append(line, '\n'), nil
}

// UnmarshalLine decodes a line written by MarshalLine into the concrete type
// its "event" name stands for (a Stage gets its name back). The trailing
// newline is optional. It does not validate the event.
func UnmarshalLine(line []byte) (Event, error) {
	var head struct {
		Event *string `json:"event"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return nil, fmt.Errorf("decoding event line: %w", err)
	}
	if head.Event == nil {
		return nil, errors.New(`decoding event line: no "event" name`)
	}
	e, err := newEvent(*head.Event)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(line, e); err != nil {
		return nil, fmt.Errorf("decoding %s event: %w", *head.Event, err)
	}
	return e, nil
}

// newEvent returns an empty event of the named type.
func newEvent(name string) (Event, error) {
	switch name {
	case NameNotebookExecution:
		return &NotebookExecution{}, nil
	case NameNotebookCellExecution:
		return &NotebookCellExecution{}, nil
	case NamePythonExecution:
		return &PythonExecution{}, nil
	case NameEmptyLoop:
		return &EmptyLoop{}, nil
	case NameLogin, NameSpawnLab, NameStartKernel, NameDeleteSession, NameDeleteLab:
		return &Stage{stage: name}, nil
	}
	return nil, fmt.Errorf("decoding event line: unknown event name %q", name)
}
