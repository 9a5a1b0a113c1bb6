CREATE TABLE accounts (id INT PRIMARY KEY, balance INT);
INSERT INTO accounts (id, balance) SELECT id, 1000000 FROM generate_series(1, 1000) AS id;
CREATE TABLE transactions (id UUID DEFAULT gen_random_uuid() PRIMARY KEY, payer_id INT, payee_id INT,
  amount INT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
