package forum

// MailArgs is the background job that sends one e-mail (password resets, notifications). It is
// inserted in the transaction that decided to send it, so a rolled-back change sends nothing and a
// committed one survives a crash before the mail goes out.
type MailArgs struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// Kind names the job.
func (MailArgs) Kind() string { return "send_mail" }
