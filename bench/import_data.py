#!/usr/bin/env python3
"""Writes the import benchmark's files, deterministic. Usage: bench/import_data.py OUT_DIR

- bench-customers.csv: 10,101 customers (an agent, 100 retailers, 10,000 consumers)
- bench-purchases.csv: 1,000,000 purchases of those consumers
- bench-customers-100k.csv: 100,000 customers with every column filled in where it applies: 10 agents,
  each with 4 wholesalers, 12 sub-wholesalers and 96 retailers above 9,887 consumers (phone, e-mail,
  region, tags, social style); parents come after their children in the file, as an ERP export may have them
"""
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
random.seed(7)
with open(f"{out}/bench-customers.csv", "w") as f:
    f.write("external_id,name,kind,subkind,parent_external_id\nA1,总代理,intermediate,agent,\n")
    for i in range(100):
        f.write(f"R{i},门店{i},intermediate,retailer,A1\n")
    for i in range(10000):
        f.write(f"C{i},顾客{i},end,,R{i % 100}\n")
with open(f"{out}/bench-purchases.csv", "w") as f:
    f.write("external_id,customer_external_id,date,amount,currency,sku,product_name,category,serial,seller_external_id\n")
    for i in range(1_000_000):
        date = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
        amount = f"{random.randint(100, 500000) / 100:.2f}"
        f.write(f"P{i},C{i % 10000},{date},{amount},CNY,BCD-215,冰箱,refrigerator,SN{i:09d},R{i % 100}\n")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["芳", "伟", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "建华",
         "丽", "强", "婷", "晨", "雪梅", "志强", "海燕", "桂兰", "文", "斌", "鑫", "宇", "浩然", "子涵", "欣怡"]
STYLES = ["", "dominant", "expressive", "amiable", "analytical"]
rows = []
for a in range(10):
    region = f"区域{a}"
    agent = f"A{a}"
    rows.append((agent, f"总代理{a} Agency {a}", "intermediate", "agent", "", "", "", region, "一级渠道", ""))
    n = 0
    for w in range(4):
        wid = f"W{a}-{w}"
        rows.append((wid, f"批发{a}-{w} Wholesale", "intermediate", "wholesaler_l1", agent, "", "", region, "", ""))
        for s in range(3):
            sid = f"S{a}-{w}-{s}"
            rows.append((sid, f"二批{a}-{w}-{s}", "intermediate", "wholesaler_l2", wid, "", "", region, "", ""))
            for r in range(8):
                rid = f"R{a}-{w}-{s}-{r}"
                rows.append((rid, f"门店{a}-{w}-{s}-{r}", "intermediate", "retailer", sid, "", "", region, "", ""))
    retailers = [r[0] for r in rows if r[3] == "retailer" and r[4].startswith(f"S{a}-")]
    for c in range(9887):
        name = random.choice(SURNAMES) + random.choice(GIVEN)
        phone = f"13{random.randint(0, 999_999_999):09d}"
        email = f"c{a}x{c}@example.com" if c % 3 == 0 else ""
        tags = "vip;老客户" if c % 10 == 0 else ""
        rows.append((f"C{a}-{c}", name, "end", "", random.choice(retailers), phone, email, region, tags,
                     random.choice(STYLES)))
rows.reverse()
with open(f"{out}/bench-customers-100k.csv", "w") as f:
    f.write("external_id,name,kind,subkind,parent_external_id,phone,email,region,tags,social_style\n")
    for r in rows:
        f.write(",".join(r) + "\n")
