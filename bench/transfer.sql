\set payer random(1, 1000)
\set payee random(1, 1000)
\set amount random(1, 10)
BEGIN;
UPDATE accounts SET balance = balance - :amount WHERE id = :payer RETURNING balance;
UPDATE accounts SET balance = balance + :amount WHERE id = :payee;
INSERT INTO transactions (payer_id, payee_id, amount) VALUES (:payer, :payee, :amount);
COMMIT;
