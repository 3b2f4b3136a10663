package azurite

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/authagonal/authagonal-tables/tables"
)

// RawEntities reads every entity of table with plain net/http requests in
// full metadata and returns each entity object exactly as the service sent
// it, property by property. Tests use it to see what is on the wire without
// going through the code under test.
func (s *Server) RawEntities(ctx context.Context, table string) ([]map[string]json.RawMessage, error) {
	var all []map[string]json.RawMessage
	query := url.Values{}
	for {
		body, header, err := s.rawGet(ctx, table+"()", query)
		if err != nil {
			return nil, err
		}
		var page struct {
			Value []map[string]json.RawMessage `json:"value"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&page); err != nil {
			return nil, fmt.Errorf("decode page of %s: %w", table, err)
		}
		all = append(all, page.Value...)
		npk, nrk := header.Get("x-ms-continuation-NextPartitionKey"), header.Get("x-ms-continuation-NextRowKey")
		if npk == "" && nrk == "" {
			return all, nil
		}
		query = url.Values{"NextPartitionKey": {npk}, "NextRowKey": {nrk}}
	}
}

// InsertRaw sends body, one entity as JSON, to table with a plain POST, so
// tests control the exact bytes the service receives.
func (s *Server) InsertRaw(ctx context.Context, table string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint+"/"+table, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Prefer", "return-no-content")
	resp, err := s.sign(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("insert into %s: HTTP %d: %s", table, resp.StatusCode, msg)
	}
	return nil
}

func (s *Server) rawGet(ctx context.Context, path string, query url.Values) ([]byte, http.Header, error) {
	u := s.Endpoint + "/" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := s.sign(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	return body, resp.Header, nil
}

// sign adds the headers of a Table request with SharedKeyLite
// authorization for the development account and sends it.
func (s *Server) sign(req *http.Request) (*http.Response, error) {
	if err := Sign(req); err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

// Sign adds the headers of a Table request with SharedKeyLite
// authorization for the development account, which every Azurite accepts.
// The signature covers the path, not the host, so a request through a
// proxy carries it unchanged.
func Sign(req *http.Request) error {
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set("x-ms-date", date)
	req.Header.Set("x-ms-version", "2019-02-02")
	req.Header.Set("Accept", "application/json;odata=fullmetadata")
	req.Header.Set("DataServiceVersion", "3.0")
	key, err := base64.StdEncoding.DecodeString(tables.DevAccountKey)
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(date + "\n/" + tables.DevAccountName + req.URL.EscapedPath()))
	req.Header.Set("Authorization", "SharedKeyLite "+tables.DevAccountName+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return nil
}
