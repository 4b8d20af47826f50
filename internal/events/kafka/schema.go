package kafka

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// avroRecord and avroField render an Avro record schema with its keys in the
// conventional order.
type avroRecord struct {
	Type      string      `json:"type"`
	Name      string      `json:"name"`
	Namespace string      `json:"namespace"`
	Fields    []avroField `json:"fields"`
}

type avroField struct {
	Name    string          `json:"name"`
	Type    any             `json:"type"`
	Default json.RawMessage `json:"default,omitempty"`
}

type logicalType struct {
	Type        string `json:"type"`
	LogicalType string `json:"logicalType"`
}

var timeType = reflect.TypeFor[time.Time]()

// Schema returns the Avro record schema of an event, derived from its Go
// struct: embedded structs are flattened in place, fields are named by their
// json tags and typed string, boolean, long, double, nullable unions with a
// null default for pointers, timestamp-millis for time.Time and uuid for the
// id. The record is named e.Name() in namespace (the topic).
func Schema(e events.Event, namespace string) (string, error) {
	t := reflect.TypeOf(e)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return "", fmt.Errorf("avro schema of %T: not a struct or pointer to struct", e)
	}
	name := e.Name()
	if !avroName.MatchString(name) {
		return "", fmt.Errorf("avro schema of %T: event name %q is not a valid Avro name", e, name)
	}
	fields, err := structFields(t, nil)
	if err != nil {
		return "", fmt.Errorf("avro schema of %s (%T): %w", name, e, err)
	}
	out, err := json.Marshal(avroRecord{Type: "record", Name: name, Namespace: namespace, Fields: fields})
	if err != nil {
		return "", fmt.Errorf("avro schema of %s: %w", name, err)
	}
	return string(out), nil
}

// structFields appends the Avro fields of t's exported fields, in order.
func structFields(t reflect.Type, fields []avroField) ([]avroField, error) {
	for sf := range t.Fields() {
		tag, hasTag := sf.Tag.Lookup("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && tag == "-" {
			continue
		}
		if sf.Anonymous && !hasTag && sf.Type.Kind() == reflect.Struct {
			var err error
			if fields, err = structFields(sf.Type, fields); err != nil {
				return nil, err
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f, err := avroFieldOf(name, sf.Type)
		if err != nil {
			return nil, err
		}
		fields = append(fields, f)
	}
	return fields, nil
}

func avroFieldOf(name string, t reflect.Type) (avroField, error) {
	if !avroName.MatchString(name) {
		return avroField{}, fmt.Errorf("field %q is not a valid Avro name", name)
	}
	if t.Kind() == reflect.Pointer {
		inner, err := avroType(name, t.Elem())
		if err != nil {
			return avroField{}, err
		}
		return avroField{Name: name, Type: []any{"null", inner}, Default: json.RawMessage("null")}, nil
	}
	typ, err := avroType(name, t)
	return avroField{Name: name, Type: typ}, err
}

func avroType(name string, t reflect.Type) (any, error) {
	switch {
	case t == timeType:
		return logicalType{Type: "long", LogicalType: "timestamp-millis"}, nil
	case t.Kind() == reflect.String && name == "id":
		return logicalType{Type: "string", LogicalType: "uuid"}, nil
	}
	switch t.Kind() {
	case reflect.String:
		return "string", nil
	case reflect.Bool:
		return "boolean", nil
	case reflect.Int, reflect.Int64:
		return "long", nil
	case reflect.Int32:
		return "int", nil
	case reflect.Float64:
		return "double", nil
	case reflect.Float32:
		return "float", nil
	}
	return nil, errors.New("field " + name + ": Go type " + t.String() + " has no Avro mapping")
}
