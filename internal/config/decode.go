package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var envRef = regexp.MustCompile(`\$\{([^}]*)\}`)

var validEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// decode expands ${NAME} in every scalar, rejects keys the Config does not
// have, and decodes into out. It walks the YAML tree itself so that each error
// can name the key path rather than only a line number.
func decode(data []byte, lookup func(string) (string, bool), out *Config) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("not valid YAML: %s", firstLine(err.Error()))
	}
	if len(doc.Content) == 0 {
		return errors.New("the file is empty")
	}
	root := doc.Content[0]
	if err := walk(root, reflect.TypeOf(*out), "", lookup); err != nil {
		return err
	}
	if err := root.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			return errors.New(te.Errors[0])
		}
		return errors.New(firstLine(err.Error()))
	}
	return nil
}

func walk(n *yaml.Node, t reflect.Type, path string, lookup func(string) (string, bool)) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		expanded, err := expand(n.Value, lookup)
		if err != nil {
			return fmt.Errorf("%s: %w", orRoot(path), err)
		}
		n.Value = expanded
		return checkScalar(n, t, path)
	case yaml.MappingNode:
		switch t.Kind() {
		case reflect.Struct:
			fields := yamlFields(t)
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i].Value
				f, ok := fields[key]
				if !ok {
					return fmt.Errorf("%s: unknown key (line %d)", join(path, key), n.Content[i].Line)
				}
				if err := walk(n.Content[i+1], f.Type, join(path, key), lookup); err != nil {
					return err
				}
			}
			return nil
		case reflect.Map:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if err := walk(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), lookup); err != nil {
					return err
				}
			}
			return nil
		}
		return fmt.Errorf("%s: expected %s, got a mapping (line %d)", orRoot(path), kindName(t), n.Line)
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice {
			return fmt.Errorf("%s: expected %s, got a list (line %d)", orRoot(path), kindName(t), n.Line)
		}
		for i, c := range n.Content {
			if err := walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), lookup); err != nil {
				return err
			}
		}
		return nil
	case yaml.AliasNode:
		return walk(n.Alias, t, path, lookup)
	}
	return nil
}

// checkScalar catches type mismatches up front so the message has the path.
func checkScalar(n *yaml.Node, t reflect.Type, path string) error {
	if t.Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) || reflect.PointerTo(t).Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) {
		var probe = reflect.New(t)
		if err := n.Decode(probe.Interface()); err != nil {
			return fmt.Errorf("%s: %v (line %d)", path, err, n.Line)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice:
		return fmt.Errorf("%s: expected %s, got %q (line %d)", path, kindName(t), n.Value, n.Line)
	}
	probe := reflect.New(t)
	if err := n.Decode(probe.Interface()); err != nil {
		return fmt.Errorf("%s: expected %s, got %q (line %d)", path, kindName(t), n.Value, n.Line)
	}
	return nil
}

// expand replaces ${NAME} with the variable's value. An unset variable is an
// error: silently using an empty DSN or URL would fail later and far away.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	var err error
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		if !validEnvName.MatchString(name) {
			err = fmt.Errorf("%q is not a valid environment variable reference", ref)
			return ""
		}
		v, ok := lookup(name)
		if !ok && err == nil {
			err = fmt.Errorf("environment variable %s is not set", name)
		}
		return v
	})
	return out, err
}

func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = f
	}
	return fields
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		if t.String() == "time.Duration" {
			return "a duration like 90s or 5m"
		}
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	}
	return "a string"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimPrefix(s, "yaml: ")
}
