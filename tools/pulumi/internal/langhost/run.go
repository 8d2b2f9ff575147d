package langhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// ExitAfterUserMessage is the exit status the SDKs' program runners use after they
// have already reported the program's error to the engine.
const ExitAfterUserMessage = 32

// ConfigEnv is the program's configuration as the SDKs' runners read it:
// PULUMI_CONFIG (JSON object) and PULUMI_CONFIG_SECRET_KEYS (JSON array), never null.
func ConfigEnv(req *pulumirpc.RunRequest) ([]string, error) {
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	return []string{
		"PULUMI_CONFIG=" + string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS=" + string(secretKeysJSON),
	}, nil
}

// RunResponse maps the result of running a program (cmd.Run's error) to the
// engine's answer; language names the program's language in messages.
func RunResponse(err error, language string) *pulumirpc.RunResponse {
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}
	case errors.As(err, &exitErr) && exitErr.ExitCode() == ExitAfterUserMessage:
		return &pulumirpc.RunResponse{Bail: true}
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("%s program exited with non-zero exit code: %d", language, exitErr.ExitCode()),
		}
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the %s program: %v", language, err)}
	}
}
