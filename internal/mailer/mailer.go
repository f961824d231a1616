// Package mailer sends the e-mails the forum queues (forum.MailArgs) from a River worker: through
// SMTP when it is configured, or into the log when it is not, so a development instance shows the
// password-reset link without a mail server.
package mailer

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// SMTP is the outgoing mail server. A zero Host means "log instead of sending".
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
}

// Worker sends forum.MailArgs jobs.
type Worker struct {
	river.WorkerDefaults[forum.MailArgs]
	SMTP SMTP
	Log  *slog.Logger
}

// Timeout bounds one delivery attempt; River retries failures with backoff.
func (w *Worker) Timeout(*river.Job[forum.MailArgs]) time.Duration { return 30 * time.Second }

// Work sends one message.
func (w *Worker) Work(ctx context.Context, job *river.Job[forum.MailArgs]) error {
	a := job.Args
	if strings.ContainsAny(a.To, "\r\n") || strings.ContainsAny(a.Subject, "\r\n") {
		return river.JobCancel(fmt.Errorf("header injection in mail to %q", a.To))
	}
	if w.SMTP.Host == "" {
		w.Log.InfoContext(ctx, "mail (no SMTP configured, logged instead of sent)", "to", a.To, "subject", a.Subject, "text", a.Text)
		return nil
	}
	return w.send(ctx, a)
}

func (w *Worker) send(ctx context.Context, a forum.MailArgs) error {
	addr := net.JoinHostPort(w.SMTP.Host, strconv.Itoa(w.SMTP.Port))
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, w.SMTP.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp hello: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: w.SMTP.Host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if w.SMTP.Username != "" {
		// PlainAuth refuses to send credentials over an unencrypted connection to a remote host.
		if err := c.Auth(smtp.PlainAuth("", w.SMTP.Username, w.SMTP.Password, w.SMTP.Host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(w.SMTP.From); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	if err := c.Rcpt(a.To); err != nil {
		return river.JobCancel(fmt.Errorf("smtp RCPT TO %q: %w", a.To, err))
	}
	wc, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	msg := "From: " + w.SMTP.From + "\r\nTo: " + a.To + "\r\nSubject: " + a.Subject +
		"\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		strings.ReplaceAll(a.Text, "\n", "\r\n")
	if _, err := wc.Write([]byte(msg)); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := wc.Close(); err != nil {
		return fmt.Errorf("smtp end of data: %w", err)
	}
	return c.Quit()
}
