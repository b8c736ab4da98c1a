"""Återrapporter as documents (HTML, PDF, DOCX), their e-mails and their scheduled job."""
