package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// volumePath is the volume of the image that the backups go to.
const volumePath = "/backups"

// imageConfig is the part of the image's OCI configuration that a container
// engine applies when it runs the image.
type imageConfig struct {
	Entrypoint []string            `json:"Entrypoint"`
	Cmd        []string            `json:"Cmd"`
	User       string              `json:"User"`
	Volumes    map[string]struct{} `json:"Volumes"`
}

// engine runs containers of one image with buildah.
type engine struct {
	buildah string
	image   string
	config  imageConfig
	count   int
}

// inspectImage reads the configuration of the image from buildah's storage.
func inspectImage(ctx context.Context, buildah, image string) (*engine, error) {
	out, err := exec.CommandContext(ctx, buildah, "inspect", "--type", "image", image).Output()
	if err != nil {
		return nil, fmt.Errorf("buildah inspect %s: %w%s", image, err, exitStderr(err))
	}
	var inspected struct {
		OCIv1 struct {
			Config imageConfig `json:"config"`
		} `json:"OCIv1"`
	}
	if err := json.Unmarshal(out, &inspected); err != nil {
		return nil, fmt.Errorf("buildah inspect %s: invalid JSON output: %w", image, err)
	}
	return &engine{buildah: buildah, image: image, config: inspected.OCIv1.Config}, nil
}

// result is the outcome of one container run.
type result struct {
	exitCode int
	stdout   string
}

// runOptions are the per-run settings that `docker run` would take as
// flags: environment variables and the host folder to mount on the volume.
type runOptions struct {
	env    []string
	volume string
}

// stopGrace is how long a cancelled container may take to stop after
// SIGINT before it is killed.
const stopGrace = 10 * time.Second

// run runs the image with args in a new container, as `docker run --rm
// --network host` would: buildah run executes only the command it is
// given, so run puts the image's entrypoint and command before args itself,
// and runs them as the image's user in its working directory. The
// container's output passes through to stderr, and its stdout is also
// returned. An exit code other than 0 is a result, not an error; the error
// is for a container that could not be created or started.
func (e *engine) run(ctx context.Context, opts runOptions, args ...string) (result, error) {
	e.count++
	name := fmt.Sprintf("authagonal-tables-imagetest-%d-%d", os.Getpid(), e.count)
	if out, err := exec.CommandContext(ctx, e.buildah, "from", "--pull=never", "--quiet", "--name", name, e.image).CombinedOutput(); err != nil {
		return result{}, fmt.Errorf("buildah from %s: %w: %s", e.image, err, bytes.TrimSpace(out))
	}
	defer e.remove(name)

	if _, declared := e.config.Volumes[volumePath]; declared && opts.volume != "" {
		// buildah run (1.28 was tested) mounts the image's own volumes
		// over the folders given with --volume, so the host folder would
		// be hidden. Taking the volume out of this container's
		// configuration leaves the host folder in its place, as docker run
		// -v does; the image is unchanged.
		if out, err := exec.CommandContext(ctx, e.buildah, "config", "--volume", volumePath+"-", name).CombinedOutput(); err != nil {
			return result{}, fmt.Errorf("buildah config: %w: %s", err, bytes.TrimSpace(out))
		}
	}

	command := slices.Concat(e.config.Entrypoint, args)
	if len(args) == 0 {
		command = slices.Concat(e.config.Entrypoint, e.config.Cmd)
	}
	if len(command) == 0 {
		return result{}, errors.New("the image has neither an entrypoint nor a command, and no arguments were given")
	}
	runArgs := []string{"run", "--network", "host"}
	if e.config.User != "" {
		runArgs = append(runArgs, "--user", e.config.User)
	}
	if opts.volume != "" {
		runArgs = append(runArgs, "--volume", opts.volume+":"+volumePath)
	}
	for _, kv := range opts.env {
		runArgs = append(runArgs, "--env", kv)
	}
	runArgs = append(runArgs, name, "--")
	runArgs = append(runArgs, command...)
	logf("running the image with arguments %q", args)

	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, e.buildah, runArgs...)
	cmd.Stdout = io.MultiWriter(&stdout, os.Stderr)
	cmd.Stderr = os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = stopGrace
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return result{exitCode: 0, stdout: stdout.String()}, nil
	case ctx.Err() != nil:
		return result{}, ctx.Err()
	case errors.As(err, &exit):
		return result{exitCode: exit.ExitCode(), stdout: stdout.String()}, nil
	}
	return result{}, fmt.Errorf("buildah run: %w", err)
}

// remove deletes a container. It runs after cancellation too, so it has a
// context of its own.
func (e *engine) remove(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, e.buildah, "rm", name).CombinedOutput(); err != nil {
		logf("buildah rm %s failed: %v: %s", name, err, bytes.TrimSpace(out))
	}
}

// exitStderr returns the standard error of a failed command run with
// Output, for error messages.
func exitStderr(err error) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) && len(exit.Stderr) > 0 {
		return ": " + string(bytes.TrimSpace(exit.Stderr))
	}
	return ""
}
