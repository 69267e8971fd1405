-- Surveys (issue 5): the item bank (dimensions and items, the 22 SERVQUAL items of
-- Parasuraman, Zeithaml & Berry 1991 seeded in both languages; managers edit and add), surveys of
-- every kind with the items they ask, tokenised answer links, the responses (partial or final, with
-- the segment attributes frozen when answered), and the sufficient statistics per survey, segment
-- and period that reports are computed from without re-reading the answers.

CREATE TABLE survey_dimensions (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    description_zh  TEXT NOT NULL DEFAULT '',
    description_en  TEXT NOT NULL DEFAULT '',
    position        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE survey_bank_items (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    dimension_id    INTEGER NOT NULL REFERENCES survey_dimensions (id),
    expectation_zh  TEXT NOT NULL,
    expectation_en  TEXT NOT NULL,
    perception_zh   TEXT NOT NULL,
    perception_en   TEXT NOT NULL,
    position        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE surveys (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('servqual', 'servperf', 'csat', 'nps', 'ces', 'custom')),
    title           TEXT NOT NULL,
    language        TEXT NOT NULL DEFAULT 'zh-CN',
    -- Manager dimension weights {dimension code: points}, summing to 100, or NULL.
    weights         TEXT,
    importance      INTEGER NOT NULL DEFAULT 0 CHECK (importance IN (0, 1)),
    overall         INTEGER NOT NULL DEFAULT 0 CHECK (overall IN (0, 1)),
    comment         INTEGER NOT NULL DEFAULT 1 CHECK (comment IN (0, 1)),
    competitor      TEXT,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('draft', 'open', 'closed')),
    created_by      INTEGER REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- The items a survey asks, in order; the item and dimension codes are copied so that the survey's
-- layout (and its statistics) stay fixed when the bank changes later.
CREATE TABLE survey_items (
    survey_id       INTEGER NOT NULL REFERENCES surveys (id),
    position        INTEGER NOT NULL,
    item_id         INTEGER NOT NULL REFERENCES survey_bank_items (id),
    item_code       TEXT NOT NULL,
    dimension_code  TEXT NOT NULL,
    PRIMARY KEY (survey_id, position),
    UNIQUE (survey_id, item_id)
);

CREATE TABLE survey_links (
    id              INTEGER PRIMARY KEY,
    survey_id       INTEGER NOT NULL REFERENCES surveys (id),
    token_hash      TEXT NOT NULL UNIQUE,
    customer_id     INTEGER REFERENCES customers (id),
    contact_id      INTEGER REFERENCES contacts (id),
    ticket_id       INTEGER REFERENCES tickets (id),
    language        TEXT NOT NULL,
    expires_at      INTEGER NOT NULL,
    answered_at     INTEGER,
    opted_out_at    INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX survey_links_survey ON survey_links (survey_id, id);
CREATE INDEX survey_links_customer ON survey_links (customer_id, created_at);

-- One response per link: saved partial any number of times, then final once.
CREATE TABLE survey_responses (
    id              INTEGER PRIMARY KEY,
    survey_id       INTEGER NOT NULL REFERENCES surveys (id),
    link_id         INTEGER NOT NULL UNIQUE REFERENCES survey_links (id),
    answers         TEXT NOT NULL,
    comment         TEXT NOT NULL DEFAULT '',
    partial         INTEGER NOT NULL DEFAULT 1 CHECK (partial IN (0, 1)),
    -- Segment attributes frozen when the answer is given: tier, kind, region, channel, agent, product, period.
    segment         TEXT NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX survey_responses_survey ON survey_responses (survey_id, partial, id);

-- Sufficient statistics (kefu-core ServqualAccumulator or AnswerCounts, as JSON) per survey,
-- segment ("all", "tier:A", ...) and period (the month of the answer, "2026-11").
CREATE TABLE survey_stats (
    id              INTEGER PRIMARY KEY,
    survey_id       INTEGER NOT NULL REFERENCES surveys (id),
    segment         TEXT NOT NULL,
    period          TEXT NOT NULL,
    accumulator     TEXT,
    n               INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    UNIQUE (survey_id, segment, period)
);

INSERT INTO survey_dimensions (code, name_zh, name_en, description_zh, description_en, position, created_at, updated_at) VALUES
    ('tangibles', '有形性', 'Tangibles', '设施、设备、人员和资料的外观', 'The appearance of the physical facilities, equipment, personnel and communication materials', 1, 0, 0),
    ('reliability', '可靠性', 'Reliability', '可靠、准确地履行承诺的能力', 'The ability to perform the promised service dependably and accurately', 2, 0, 0),
    ('responsiveness', '反应性', 'Responsiveness', '帮助顾客并迅速提供服务的意愿', 'The willingness to help customers and provide prompt service', 3, 0, 0),
    ('assurance', '保证性', 'Assurance', '员工的知识、礼貌以及让顾客信任的能力', 'The knowledge and courtesy of employees and their ability to convey trust and confidence', 4, 0, 0),
    ('empathy', '移情性', 'Empathy', '对顾客的关心和个别关注', 'The caring, individualized attention the company provides its customers', 5, 0, 0);

INSERT INTO survey_bank_items (code, dimension_id, expectation_zh, expectation_en, perception_zh, perception_en, position, created_at, updated_at) VALUES
    ('Q1', (SELECT id FROM survey_dimensions WHERE code = 'tangibles'), '优秀的[行业]企业拥有现代化的设备。', 'Excellent [type] companies will have modern-looking equipment.', 'XYZ 拥有现代化的设备。', 'XYZ has modern-looking equipment.', 1, 0, 0),
    ('Q2', (SELECT id FROM survey_dimensions WHERE code = 'tangibles'), '优秀的[行业]企业的设施外观吸引人。', 'The physical facilities at excellent [type] companies will be visually appealing.', 'XYZ 的设施外观吸引人。', 'XYZ''s physical facilities are visually appealing.', 2, 0, 0),
    ('Q3', (SELECT id FROM survey_dimensions WHERE code = 'tangibles'), '优秀的[行业]企业的员工衣着整洁。', 'Employees at excellent [type] companies will be neat-appearing.', 'XYZ 的员工衣着整洁。', 'XYZ''s employees are neat-appearing.', 3, 0, 0),
    ('Q4', (SELECT id FROM survey_dimensions WHERE code = 'tangibles'), '优秀的[行业]企业与服务相关的资料(如宣传册、账单)美观。', 'Materials associated with the service (such as pamphlets or statements) will be visually appealing in an excellent [type] company.', 'XYZ 与服务相关的资料(如宣传册、账单)美观。', 'Materials associated with the service (such as pamphlets or statements) are visually appealing at XYZ.', 4, 0, 0),
    ('Q5', (SELECT id FROM survey_dimensions WHERE code = 'reliability'), '优秀的[行业]企业承诺在某时间前做到的事,一定会按时做到。', 'When excellent [type] companies promise to do something by a certain time, they will do so.', 'XYZ 承诺在某时间前做到的事,会按时做到。', 'When XYZ promises to do something by a certain time, it does so.', 5, 0, 0),
    ('Q6', (SELECT id FROM survey_dimensions WHERE code = 'reliability'), '顾客遇到问题时,优秀的[行业]企业会真诚地帮助解决。', 'When a customer has a problem, excellent [type] companies will show a sincere interest in solving it.', '您遇到问题时,XYZ 真诚地帮助解决。', 'When you have a problem, XYZ shows a sincere interest in solving it.', 6, 0, 0),
    ('Q7', (SELECT id FROM survey_dimensions WHERE code = 'reliability'), '优秀的[行业]企业第一次就能把服务做好。', 'Excellent [type] companies will perform the service right the first time.', 'XYZ 第一次就把服务做好。', 'XYZ performs the service right the first time.', 7, 0, 0),
    ('Q8', (SELECT id FROM survey_dimensions WHERE code = 'reliability'), '优秀的[行业]企业在承诺的时间提供服务。', 'Excellent [type] companies will provide their services at the time they promise to do so.', 'XYZ 在承诺的时间提供服务。', 'XYZ provides its services at the time it promises to do so.', 8, 0, 0),
    ('Q9', (SELECT id FROM survey_dimensions WHERE code = 'reliability'), '优秀的[行业]企业坚持记录准确无误。', 'Excellent [type] companies will insist on error-free records.', 'XYZ 坚持记录准确无误。', 'XYZ insists on error-free records.', 9, 0, 0),
    ('Q10', (SELECT id FROM survey_dimensions WHERE code = 'responsiveness'), '优秀的[行业]企业的员工会确切告诉顾客何时提供服务。', 'Employees of excellent [type] companies will tell customers exactly when services will be performed.', 'XYZ 的员工确切告诉您何时提供服务。', 'Employees of XYZ tell you exactly when services will be performed.', 10, 0, 0),
    ('Q11', (SELECT id FROM survey_dimensions WHERE code = 'responsiveness'), '优秀的[行业]企业的员工为顾客提供及时的服务。', 'Employees of excellent [type] companies will give prompt service to customers.', 'XYZ 的员工为您提供及时的服务。', 'Employees of XYZ give you prompt service.', 11, 0, 0),
    ('Q12', (SELECT id FROM survey_dimensions WHERE code = 'responsiveness'), '优秀的[行业]企业的员工总是乐于帮助顾客。', 'Employees of excellent [type] companies will always be willing to help customers.', 'XYZ 的员工总是乐于帮助您。', 'Employees of XYZ are always willing to help you.', 12, 0, 0),
    ('Q13', (SELECT id FROM survey_dimensions WHERE code = 'responsiveness'), '优秀的[行业]企业的员工从不因太忙而不回应顾客的要求。', 'Employees of excellent [type] companies will never be too busy to respond to customers'' requests.', 'XYZ 的员工从不因太忙而不回应您的要求。', 'Employees of XYZ are never too busy to respond to your requests.', 13, 0, 0),
    ('Q14', (SELECT id FROM survey_dimensions WHERE code = 'assurance'), '优秀的[行业]企业员工的行为让顾客信任。', 'The behavior of employees of excellent [type] companies will instill confidence in customers.', 'XYZ 员工的行为让您信任。', 'The behavior of employees of XYZ instills confidence in you.', 14, 0, 0),
    ('Q15', (SELECT id FROM survey_dimensions WHERE code = 'assurance'), '优秀的[行业]企业的顾客在交易中感到放心。', 'Customers of excellent [type] companies will feel safe in their transactions.', '您与 XYZ 交易时感到放心。', 'You feel safe in your transactions with XYZ.', 15, 0, 0),
    ('Q16', (SELECT id FROM survey_dimensions WHERE code = 'assurance'), '优秀的[行业]企业的员工始终对顾客彬彬有礼。', 'Employees of excellent [type] companies will be consistently courteous with customers.', 'XYZ 的员工始终对您彬彬有礼。', 'Employees of XYZ are consistently courteous with you.', 16, 0, 0),
    ('Q17', (SELECT id FROM survey_dimensions WHERE code = 'assurance'), '优秀的[行业]企业的员工有足够的知识回答顾客的问题。', 'Employees of excellent [type] companies will have the knowledge to answer customers'' questions.', 'XYZ 的员工有足够的知识回答您的问题。', 'Employees of XYZ have the knowledge to answer your questions.', 17, 0, 0),
    ('Q18', (SELECT id FROM survey_dimensions WHERE code = 'empathy'), '优秀的[行业]企业会给予顾客个别的关注。', 'Excellent [type] companies will give customers individual attention.', 'XYZ 给予您个别的关注。', 'XYZ gives you individual attention.', 18, 0, 0),
    ('Q19', (SELECT id FROM survey_dimensions WHERE code = 'empathy'), '优秀的[行业]企业的营业时间方便所有顾客。', 'Excellent [type] companies will have operating hours convenient to all their customers.', 'XYZ 的营业时间方便所有顾客。', 'XYZ has operating hours convenient to all its customers.', 19, 0, 0),
    ('Q20', (SELECT id FROM survey_dimensions WHERE code = 'empathy'), '优秀的[行业]企业有员工给予顾客个人化的关心。', 'Excellent [type] companies will have employees who give customers personal attention.', 'XYZ 有员工给予您个人化的关心。', 'XYZ has employees who give you personal attention.', 20, 0, 0),
    ('Q21', (SELECT id FROM survey_dimensions WHERE code = 'empathy'), '优秀的[行业]企业把顾客的利益放在心上。', 'Excellent [type] companies will have the customer''s best interests at heart.', 'XYZ 把您的利益放在心上。', 'XYZ has your best interests at heart.', 21, 0, 0),
    ('Q22', (SELECT id FROM survey_dimensions WHERE code = 'empathy'), '优秀的[行业]企业的员工了解顾客的具体需求。', 'The employees of excellent [type] companies will understand the specific needs of their customers.', 'XYZ 的员工了解您的具体需求。', 'Employees of XYZ understand your specific needs.', 22, 0, 0);
