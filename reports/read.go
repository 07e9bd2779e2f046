package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/onsi/ginkgo/v2/types"
)

// MaxReportSize bounds what ReadJSON accepts: a report of thousands of
// specs with transcripts attached stays far below it.
const MaxReportSize = 256 << 20

// ReadJSON decodes a Ginkgo JSON report: the array `ginkgo --json-report`
// writes (one object is accepted too).
func ReadJSON(r io.Reader) ([]types.Report, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxReportSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxReportSize {
		return nil, fmt.Errorf("report larger than %d bytes", MaxReportSize)
	}
	var many []types.Report
	errMany := json.Unmarshal(data, &many)
	if errMany == nil {
		return many, nil
	}
	var one types.Report
	if json.Unmarshal(data, &one) == nil {
		return []types.Report{one}, nil
	}
	return nil, fmt.Errorf("not a Ginkgo JSON report: %s", jsonProblem(errMany))
}

// jsonProblem says what is wrong with a JSON document in a reader's words:
// encoding/json's own messages name Go types ("into Go value of type
// []types.Report").
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("field %q holds a JSON %s of the wrong kind (byte %d)", typ.Field, typ.Value, typ.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("the document is a JSON %s, want a list of suite reports", typ.Value)
	}
	return "unreadable JSON"
}

// LoadJSON reads a Ginkgo JSON report file; errors name the file.
func LoadJSON(path string) ([]types.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	reps, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return reps, nil
}
