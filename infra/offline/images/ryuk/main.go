// A stand-in for testcontainers' reaper (Ryuk), for machines that cannot pull its image: it speaks the protocol
// testcontainers uses and removes what a test run left behind once that run is gone, even when it was killed.
//
//   - Listens on RYUK_PORT (8080) and logs "Started" when it does (testcontainers waits for that line).
//   - Each client sends lines of Docker filters as a query string ("label=org.testcontainers.session-id=<id>",
//     "label=com.docker.compose.project=<name>"); every line is answered "ACK".
//   - When the last client has disconnected and none reconnects within RYUK_RECONNECTION_TIMEOUT (10s), or none
//     connected at all within RYUK_CONNECTION_TIMEOUT (60s), or on SIGTERM/SIGINT, it removes every container
//     (forced, with its anonymous volumes), network and volume matching any filter received, then exits.
//     Reaper containers themselves (label org.testcontainers.ryuk=true) are left alone.
//   - Unlike upstream it leaves images alone: Compose v2 labels the images it builds with the project's name, so
//     upstream would also delete the API image tag (recipes-api:local) that later runs and other suites share.
//
// Only Go's standard library: it talks to the engine's HTTP API over DOCKER_HOST's Unix socket.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const reaperLabel = "org.testcontainers.ryuk"

type config struct {
	port                string
	connectionTimeout   time.Duration
	reconnectionTimeout time.Duration
	requestTimeout      time.Duration
	removeRetries       int
	verbose             bool
}

func durationEnv(name string, fallback time.Duration) time.Duration {
	value := os.Getenv(name)
	if value == "" {
		return fallback
	}
	parsed, err := time.ParseDuration(value)
	if err != nil {
		log.Fatalf("%s=%q is not a duration (e.g. 10s): %v", name, value, err)
	}
	return parsed
}

func loadConfig() config {
	retries := 10
	if value := os.Getenv("RYUK_REMOVE_RETRIES"); value != "" {
		parsed, err := strconv.Atoi(value)
		if err != nil || parsed < 1 {
			log.Fatalf("RYUK_REMOVE_RETRIES=%q is not a positive number", value)
		}
		retries = parsed
	}
	port := os.Getenv("RYUK_PORT")
	if port == "" {
		port = "8080"
	}
	verbose, _ := strconv.ParseBool(os.Getenv("RYUK_VERBOSE"))
	return config{
		port:                port,
		connectionTimeout:   durationEnv("RYUK_CONNECTION_TIMEOUT", 60*time.Second),
		reconnectionTimeout: durationEnv("RYUK_RECONNECTION_TIMEOUT", 10*time.Second),
		requestTimeout:      durationEnv("RYUK_REQUEST_TIMEOUT", 10*time.Second),
		removeRetries:       retries,
		verbose:             verbose,
	}
}

// engine is the Docker engine's HTTP API over its Unix socket.
type engine struct {
	http    *http.Client
	timeout time.Duration
}

func newEngine(timeout time.Duration) *engine {
	socket := strings.TrimPrefix(os.Getenv("DOCKER_HOST"), "unix://")
	if socket == "" {
		socket = "/var/run/docker.sock"
	}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}
	return &engine{http: &http.Client{Transport: transport}, timeout: timeout}
}

// call sends one request and decodes a JSON answer into out (when given); a status of 400 or more is an error.
func (e *engine) call(method, path string, query url.Values, out interface{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, method, "http://engine"+path+"?"+query.Encode(), nil)
	if err != nil {
		return err
	}
	response, err := e.http.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		return err
	}
	if response.StatusCode >= 400 {
		return fmt.Errorf("%s %s: %d %s", method, path, response.StatusCode, strings.TrimSpace(string(body)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// filter is one line a client sent, in the engine's `filters` form: {"label": {"k=v": true}}.
type filter map[string]map[string]bool

func parseFilter(line string) (filter, error) {
	query, err := url.ParseQuery(line)
	if err != nil {
		return nil, err
	}
	if len(query) == 0 {
		return nil, fmt.Errorf("no filter in %q", line)
	}
	parsed := filter{}
	for kind, values := range query {
		parsed[kind] = map[string]bool{}
		for _, value := range values {
			parsed[kind][value] = true
		}
	}
	return parsed, nil
}

func (f filter) query(extra url.Values) url.Values {
	encoded, _ := json.Marshal(f)
	query := url.Values{"filters": {string(encoded)}}
	for name, values := range extra {
		query[name] = values
	}
	return query
}

// removeMatching removes what matches one filter: containers first (they hold networks and volumes), then
// networks and volumes. Returns how many it found and the errors it met.
func (e *engine) removeMatching(f filter) (int, []error) {
	var errs []error
	found := 0
	var containers []struct {
		ID     string `json:"Id"`
		Labels map[string]string
	}
	if err := e.call("GET", "/containers/json", f.query(url.Values{"all": {"1"}}), &containers); err != nil {
		return 0, []error{err}
	}
	for _, container := range containers {
		if container.Labels[reaperLabel] == "true" {
			continue
		}
		found++
		errs = appendErr(errs, e.call("DELETE", "/containers/"+container.ID, url.Values{"force": {"1"}, "v": {"1"}}, nil))
	}
	var networks []struct {
		ID   string `json:"Id"`
		Name string
	}
	errs = appendErr(errs, e.call("GET", "/networks", f.query(nil), &networks))
	for _, network := range networks {
		found++
		errs = appendErr(errs, e.call("DELETE", "/networks/"+network.ID, nil, nil))
	}
	var volumes struct {
		Volumes []struct{ Name string }
	}
	errs = appendErr(errs, e.call("GET", "/volumes", f.query(nil), &volumes))
	for _, volume := range volumes.Volumes {
		found++
		errs = appendErr(errs, e.call("DELETE", "/volumes/"+url.PathEscape(volume.Name), url.Values{"force": {"1"}}, nil))
	}
	return found, errs
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

// prune removes everything matching the filters, in rounds one second apart until a round finds nothing or
// the retries are spent (a container being removed can keep its network busy for a moment).
func prune(e *engine, filters []filter, retries int) {
	for round := 1; round <= retries; round++ {
		found := 0
		var errs []error
		for _, f := range filters {
			n, roundErrs := e.removeMatching(f)
			found += n
			errs = append(errs, roundErrs...)
		}
		log.Printf("prune round %d: %d resource(s) found, %d error(s)", round, found, len(errs))
		for _, err := range errs {
			log.Printf("  %v", err)
		}
		if found == 0 {
			return
		}
		time.Sleep(time.Second)
	}
	log.Printf("gave up after %d rounds", retries)
}

// reaper collects filters from its clients and counts them.
type reaper struct {
	mu           sync.Mutex
	filters      []filter
	seen         map[string]bool
	connected    chan struct{}
	disconnected chan struct{}
	verbose      bool
}

func (r *reaper) add(line string) error {
	parsed, err := parseFilter(line)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.seen[line] {
		r.seen[line] = true
		r.filters = append(r.filters, parsed)
		log.Printf("filter added: %s", line)
	}
	return nil
}

func (r *reaper) snapshot() []filter {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]filter(nil), r.filters...)
}

func (r *reaper) serve(conn net.Conn) {
	defer func() {
		conn.Close()
		r.disconnected <- struct{}{}
	}()
	scanner := bufio.NewScanner(conn)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" {
			continue
		}
		if err := r.add(line); err != nil {
			log.Printf("ignored %q from %s: %v", line, conn.RemoteAddr(), err)
		}
		if _, err := conn.Write([]byte("ACK\n")); err != nil && r.verbose {
			log.Printf("ack to %s: %v", conn.RemoteAddr(), err)
		}
	}
}

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	log.SetOutput(os.Stdout)
	cfg := loadConfig()
	e := newEngine(cfg.requestTimeout)
	if err := e.call("GET", "/_ping", nil, nil); err != nil {
		log.Fatalf("the Docker engine does not answer: %v", err)
	}
	listener, err := net.Listen("tcp", ":"+cfg.port)
	if err != nil {
		log.Fatalf("listen on %s: %v", cfg.port, err)
	}
	r := &reaper{seen: map[string]bool{}, connected: make(chan struct{}), disconnected: make(chan struct{}), verbose: cfg.verbose}
	pruning := make(chan struct{})
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			select {
			case r.connected <- struct{}{}:
				go r.serve(conn)
			case <-pruning:
				// Too late for this one: closed unanswered, testcontainers starts a reaper of its own.
				conn.Close()
				return
			}
		}
	}()
	log.Printf("Started on :%s (connection timeout %s, reconnection timeout %s)", cfg.port, cfg.connectionTimeout, cfg.reconnectionTimeout)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	deadline := time.NewTimer(cfg.connectionTimeout)
	clients := 0
wait:
	for {
		select {
		case <-r.connected:
			clients++
			if !deadline.Stop() {
				select { // a deadline that fired meanwhile must not count once the timer is reset
				case <-deadline.C:
				default:
				}
			}
			log.Printf("client connected (%d)", clients)
		case <-r.disconnected:
			clients--
			log.Printf("client disconnected (%d)", clients)
			if clients == 0 {
				deadline.Reset(cfg.reconnectionTimeout)
			}
		case sig := <-signals:
			log.Printf("%s received with %d client(s)", sig, clients)
			break wait
		case <-deadline.C:
			log.Printf("no client for the timeout; pruning")
			break wait
		}
	}
	close(pruning)
	listener.Close()
	prune(e, r.snapshot(), cfg.removeRetries)
	log.Printf("done")
}
