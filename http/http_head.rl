/*
 * The HTTP/1.1 request head (RFC 9112 §2-§5, RFC 9110 §5) as a Ragel
 * machine.  Meson compiles it to table-driven C (ragel -T0) at build time,
 * http_head_gen.h, which http_head.c includes; the generated C is never
 * edited or committed.  The machine only says which bytes may come next;
 * its actions are the act_* functions of http_head.c, each a named step
 * of the RFC (and the checks of the limits), which may stop it with an
 * error.  Its state (cs) lives in struct zn_http_head, so a head can come
 * in any pieces.
 *
 * Where each rule lives (functions of http_head.c unless named):
 *
 *   RFC 9112 §2.1 message format          main below; act_head_end
 *   §2.2 empty lines before the request   EOL* in main (skipped)
 *   §2.2 LF alone ends a line             EOL (a choice: accepted)
 *   §2.2 bare CR                          classify_error: BARE_CR
 *   §2.2 whitespace before the first
 *        field line                       classify_error
 *   §2.3 HTTP-version; 1.x as 1.1; 505    version; check_version
 *   §3 request-line, single SPs           request_line; act_method_end,
 *                                         act_target_end
 *   §3 request-line length, 414 or 400    act_count, line_overflow
 *   §3.2 request-target forms             target; check_target_form
 *   §3.2, RFC 9110 §7.2 Host              field_host (http_fields.c),
 *                                         act_head_end (NO_HOST)
 *   §5 field-line, OWS trimmed            field_line; act_field_start,
 *                                         act_colon, act_field_end
 *   §5.1 no whitespace before the colon   classify_error
 *   §5.2 obs-fold rejected                classify_error: OBS_FOLD
 *   §6.1, §6.3 Transfer-Encoding          field_transfer_encoding,
 *                                         check_framing
 *   §9.3 persistence                      field_connection, keep_alive
 *   RFC 9110 §5.5 field values            field_value (no controls)
 *   RFC 9110 §5.6.1 lists                 zn__http_list_next (http_util.c)
 *   RFC 9110 §5.6.2 tokens                tchar; zn__http_is_token
 *   RFC 9110 §8.6 Content-Length          field_content_length
 *   RFC 9110 §9.1 unknown method: 501     zn_http_method_status
 *                                         (http_tables.c)
 *   RFC 9110 §10.1.1 Expect               field_expect
 *
 * and the helpers: RFC 9110 §4.2.4, RFC 3986 §3.3 target to path
 * (http_path.c), §5.6.7 dates (http_date.c), §8.8.3 entity-tags and
 * §13.1-§13.2 conditionals (http_cond.c), §14 ranges (http_range.c).
 */
%%{
  machine http_head;
  alphtype unsigned char;
  access h->;

  action count            { if (!act_count(h, fpc)) fbreak; }
  action method_start     { act_method_start(h, fpc); }
  action method_end       { act_method_end(h, fpc); }
  action target_end       { act_target_end(h, fpc); }
  action major            { h->major = (uint8_t)(fc - '0'); }
  action minor            { h->minor = (uint8_t)(fc - '0'); }
  action request_line_end { if (!act_request_line_end(h, fpc)) fbreak; }
  action field_start      { if (!act_field_start(h, fpc)) fbreak; }
  action colon            { act_colon(h, fpc); }
  action field_end        { if (!act_field_end(h, fpc)) fbreak; }
  action head_end         { act_head_end(h, fpc); fbreak; }

  # RFC 9112 §2.2: CRLF, or LF alone.
  EOL = "\r"? "\n";
  SP = " ";

  # RFC 9110 §5.6.2.
  tchar = alnum | [!#$%&'*+\-.^_`|~];
  token = tchar+;

  # The request-target's bytes (RFC 3986 §3.3 pchar, §3.4 "/" "?", the
  # brackets of an IP-literal in absolute-form), percent-encodings with
  # their two hex digits; which form it is, check_target_form decides.
  uchar = alnum | [\-._~!$&'()*+,;=:@/?\[\]];
  target = (uchar | "%" xdigit xdigit)+;

  # RFC 9112 §2.3.
  version = "HTTP/" digit @major "." digit @minor;

  request_line = token >method_start SP @method_end
                 target SP @target_end
                 version EOL @request_line_end;

  # RFC 9112 §5, RFC 9110 §5.5: field-vchar (VCHAR, obs-text), SP and HTAB;
  # OWS is trimmed by act_field_end.
  field_value = (0x21..0x7e | 0x80..0xff | " " | "\t")*;
  field_line = token >field_start ":" @colon field_value EOL @field_end;

  main := (EOL* request_line field_line* EOL @head_end) $count;
}%%

%% write data;

/* Run the machine over p[0..pe): returns where it stopped (pe, or after
 * the byte whose action broke out). */
static const unsigned char *http_head_exec(struct zn_http_head *h,
                                           const unsigned char *p,
                                           const unsigned char *pe) {
  %% write exec;
  return p;
}
