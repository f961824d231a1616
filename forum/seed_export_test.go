package forum

// PostMACVerifies exposes the stored-HTML MAC check to the external seed tests.
func (f *Forum) PostMACVerifies(id int64, html string, mac []byte) bool {
	return f.secrets.htmlOK("post", id, html, mac)
}
