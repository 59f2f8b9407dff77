package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Delivery defaults.
const (
	// DefaultShutdownTimeout bounds how long a stop waits for the flux (or file) in hand.
	DefaultShutdownTimeout = 20 * time.Second
	// DefaultTrackEvery is how often platforms are asked what became of deposited invoices;
	// MinTrackEvery is the least a configuration may ask for.
	DefaultTrackEvery = 5 * time.Minute
	MinTrackEvery     = 30 * time.Second
	// defaultPlatformRate paces the calls to a platform API when rate is not set.
	defaultPlatformRate = 10
)

// RunConfig holds the top-level keys of the daemon's own running.
type RunConfig struct {
	// ShutdownTimeout is how long a stop (SIGTERM) waits for the flux or the file in hand;
	// after it the daemon exits and the next start resumes what was cut.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// TrackingConfig says how often a platform destination is asked about its deposits.
type TrackingConfig struct {
	Every Duration `yaml:"every"`
}

// Rate paces every call to a destination: PerSecond calls a second, in bursts of at most
// Burst.
type Rate struct {
	PerSecond float64
	Burst     int
}

// UnmarshalYAML reads "5/s", "300/m", "2" (calls per second) or {limit: 5/s, burst: 10}.
func (r *Rate) UnmarshalYAML(n *yaml.Node) error {
	limit, burst := n, (*yaml.Node)(nil)
	if n.Kind == yaml.MappingNode {
		limit = nil
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "limit":
				limit = n.Content[i+1]
			case "burst":
				burst = n.Content[i+1]
			default:
				return fmt.Errorf("line %d: rate: field %s not found (write limit and burst)", k.Line, k.Value)
			}
		}
		if limit == nil {
			return fmt.Errorf("line %d: rate: limit is missing (for example limit: 5/s)", n.Line)
		}
	}
	per, err := parseRate(limit.Value)
	if err != nil {
		return fmt.Errorf("line %d: rate %q: %w", limit.Line, limit.Value, err)
	}
	r.PerSecond = per
	r.Burst = max(1, int(per+0.999999))
	if burst != nil {
		b, err := strconv.Atoi(burst.Value)
		if err != nil || b < 1 {
			return fmt.Errorf("line %d: rate: burst %q: write a whole number of calls, at least 1", burst.Line, burst.Value)
		}
		r.Burst = b
	}
	return nil
}

func parseRate(s string) (float64, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), "/")
	per := time.Second
	switch strings.TrimSpace(unit) {
	case "", "s":
	case "m", "min":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		return 0, fmt.Errorf("unit %q: write calls per second (5/s), per minute (300/m) or per hour (/h)", unit)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("write a positive number of calls, e.g. 5/s or 300/m")
	}
	return n / per.Seconds(), nil
}

// String writes the rate as calls per second.
func (r Rate) String() string {
	return strconv.FormatFloat(r.PerSecond, 'f', -1, 64) + "/s, burst " + strconv.Itoa(r.Burst)
}

// tracks reports whether the destination is a platform that answers later.
func (d DestinationConfig) tracks() bool { return d.Chorus != nil || d.PA != nil || d.ChorusEDI != nil }

func (c *Config) setDeliveryDefaults() {
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = Duration(DefaultShutdownTimeout)
	}
	for i := range c.Destinations {
		d := &c.Destinations[i]
		if d.tracks() && d.Tracking == nil {
			d.Tracking = &TrackingConfig{}
		}
		if d.Tracking != nil && d.Tracking.Every == 0 {
			d.Tracking.Every = Duration(DefaultTrackEvery)
		}
		if d.Rate == nil && (d.Chorus != nil || d.PA != nil) {
			d.Rate = &Rate{PerSecond: defaultPlatformRate, Burst: defaultPlatformRate}
		}
	}
}

func (c *Config) validateDelivery() []error {
	var errs []error
	if c.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("shutdown_timeout must not be negative"))
	}
	for i, d := range c.Destinations {
		where := fmt.Sprintf("destinations[%d] (%s)", i, d.Name)
		if d.Tracking == nil {
			continue
		}
		if !d.tracks() {
			errs = append(errs, fmt.Errorf("%s: tracking: a plain folder has nothing to track (tracking is for chorus, pa and chorus_edi destinations)", where))
		} else if every := time.Duration(d.Tracking.Every); every < MinTrackEvery {
			errs = append(errs, fmt.Errorf("%s: tracking.every %v: ask a platform at most every %v", where, every, MinTrackEvery))
		}
	}
	return errs
}

// TrackEvery is how often the destination is asked about its deposits (0: never, a plain
// folder).
func (d DestinationConfig) TrackEvery() time.Duration {
	if d.Tracking == nil {
		return 0
	}
	return time.Duration(d.Tracking.Every)
}
