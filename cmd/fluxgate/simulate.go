package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/fluxgate/fluxgate/simulate"
	"github.com/spf13/cobra"
)

// newSimulateCmd runs a platform simulator: Chorus Pro (PISTE API) or an approved platform
// (XP Z12-013 Flow Service). It follows the published contracts; it is not the platform.
func newSimulateCmd() *cobra.Command {
	var (
		listen       string
		delay        time.Duration
		tokenTTL     time.Duration
		rejectMarker string
		loseAnswers  float64
		integrate    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "simulate chorus|pa",
		Short: "Run a local simulator of Chorus Pro or of an approved platform (PA), for trials and tests",
		Long: `Runs a small HTTP server that implements the published contract of the Chorus Pro API
(PISTE: OAuth2, deposer/flux, consulterCRDetaille, rechercher/fournisseur, consulter/historique)
or of the AFNOR XP Z12-013 Flow Service of an approved platform (OAuth2, POST /v1/flows,
GET /v1/flows/{id}, POST /v1/flows/search, CDAR lifecycle flows).

It is NOT the real platform: it follows the public documentation, accepts fixed trial
credentials and keeps everything in memory. Statuses move on one step each time they are
polled. It listens on the loopback interface unless told otherwise.

For Chorus Pro, --lose-answers p processes each deposit and then loses its answer with
probability p (a 503, or no answer at all until the client gives up), and
--integration-delay d integrates each deposit d after it was received, whoever asks: until
then rechercher/fournisseur does not find its invoices, and an invoice whose number was used
already is refused at integration as a duplicate ("Doublon"), as Chorus Pro does. Together
they reproduce a deposit whose outcome the client cannot know.`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"chorus", "pa"},
		RunE: func(cmd *cobra.Command, args []string) error {
			var (
				handler   http.Handler
				tokenPath string
				extra     string
			)
			if loseAnswers < 0 || loseAnswers > 1 {
				return exitError{2, fmt.Errorf("--lose-answers %v: write a probability between 0 and 1", loseAnswers)}
			}
			switch args[0] {
			case "chorus":
				c := simulate.NewChorus()
				c.SetDelay(delay)
				c.SetTokenTTL(tokenTTL)
				if rejectMarker != "" {
					c.RejectContaining(rejectMarker)
				}
				if integrate > 0 {
					c.SetIntegrationDelay(integrate)
				}
				if loseAnswers > 0 {
					c.LoseAnswersAtRandom(loseAnswers)
				}
				handler, tokenPath = c.Handler(), simulate.ChorusTokenPath
				extra = fmt.Sprintf("  export FLUXGATE_CPRO_LOGIN=%s FLUXGATE_CPRO_PASSWORD=%s\n", simulate.DefaultChorusLogin, simulate.DefaultChorusPassword)
			case "pa":
				p := simulate.NewPA()
				p.SetDelay(delay)
				p.SetTokenTTL(tokenTTL)
				handler, tokenPath = p.Handler(), simulate.PATokenPath
			default:
				return exitError{2, fmt.Errorf("simulate %q: write chorus or pa", args[0])}
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return exitError{2, err}
			}
			base := "http://" + ln.Addr().String()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Simulator of %s (published contract, not the real platform) on %s\n", args[0], base)
			fmt.Fprintf(out, "  base_url:  %s\n  token_url: %s%s\n", base, base, tokenPath)
			fmt.Fprintf(out, "  export FLUXGATE_CLIENT_ID=%s FLUXGATE_CLIENT_SECRET=%s\n%s", simulate.DefaultClientID, simulate.DefaultClientSecret, extra)
			return serve(cmd, ln, handler, out)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8089", "address to listen on (loopback by default)")
	cmd.Flags().DurationVar(&delay, "delay", 0, "slow every answer down by this much")
	cmd.Flags().DurationVar(&tokenTTL, "token-ttl", time.Hour, "expires_in announced with each token")
	cmd.Flags().StringVar(&rejectMarker, "reject-containing", "", "chorus: reject at integration every invoice whose number contains this text")
	cmd.Flags().Float64Var(&loseAnswers, "lose-answers", 0, "chorus: process each deposit, then lose its answer (503 or silence) with this probability, 0 to 1")
	cmd.Flags().DurationVar(&integrate, "integration-delay", 0, "chorus: integrate each deposit this long after it was received (0: on the third look at its report)")
	return cmd
}

// serve runs handler on ln until the command's context ends.
func serve(cmd *cobra.Command, ln net.Listener, handler http.Handler, out io.Writer) error {
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return exitError{2, err}
	case <-cmd.Context().Done():
		fmt.Fprintln(out, "simulator stopped")
		srv.Close()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return exitError{2, err}
		}
		return nil
	}
}
