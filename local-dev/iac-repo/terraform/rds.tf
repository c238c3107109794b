# RDS MySQL instances of the shop. Credentials live in Secrets Manager
# (manage_master_user_password), never in this repository.

resource "aws_db_instance" "orders" {
  identifier     = "orders-db"
  engine         = "mysql"
  engine_version = "8.4.3"
  instance_class = "db.r5.2xlarge" # sized for the 2025 peak

  allocated_storage     = 500
  max_allocated_storage = 1000
  storage_type          = "gp3"
  storage_encrypted     = true

  multi_az                = true
  backup_retention_period = 7
  parameter_group_name    = "orders-mysql84"
  db_subnet_group_name    = var.db_subnet_group

  username                    = "admin"
  manage_master_user_password = true

  tags = {
    environment = "production"
    team        = "orders"
  }
}

resource "aws_db_instance" "payments" {
  identifier     = "payments-db"
  engine         = "mysql"
  engine_version = "8.0.39"
  # The class differs per environment: see payments_instance_class in the tfvars.
  instance_class = var.payments_instance_class

  allocated_storage = 200
  storage_type      = "gp3"
  storage_encrypted = true

  backup_retention_period = 7
  parameter_group_name    = "payments-mysql80"
  db_subnet_group_name    = var.db_subnet_group

  username                    = "admin"
  manage_master_user_password = true

  tags = {
    env  = "prod"
    team = "payments"
  }
}

# Legacy BI database, scheduled for retirement; still read by the nightly reports.
resource "aws_db_instance" "legacy_reports" {
  identifier     = "legacy-reports"
  engine         = "mysql"
  engine_version = "5.7.44"
  instance_class = "db.t3.medium"

  allocated_storage       = 100
  storage_type            = "gp2"
  storage_encrypted       = false
  backup_retention_period = 0
  publicly_accessible     = true # reached from the BI vendor's SaaS
  parameter_group_name    = "default.mysql5.7"

  username                    = "admin"
  manage_master_user_password = true
  skip_final_snapshot         = true

  tags = {
    environment = "staging"
    team        = "bi"
  }
}

resource "aws_db_instance" "inventory" {
  provider = aws.us_east_1

  identifier     = "inventory-db"
  engine         = "mysql"
  engine_version = "8.4.3"
  instance_class = "db.m6g.large"

  allocated_storage       = 400
  max_allocated_storage   = 1000
  storage_type            = "gp3"
  storage_encrypted       = true
  multi_az                = true
  backup_retention_period = 14
  parameter_group_name    = "inventory-mysql84"

  username                    = "admin"
  manage_master_user_password = true

  tags = {
    environment = "production"
    team        = "catalog"
  }
}

# PostgreSQL for billing: not MySQL, so the MySQL rules leave it alone.
resource "aws_db_instance" "billing" {
  identifier          = "billing-pg"
  engine              = "postgres"
  engine_version      = "16.4"
  instance_class      = "db.m5.xlarge"
  allocated_storage   = 100
  publicly_accessible = true

  username                    = "billing"
  manage_master_user_password = true
  skip_final_snapshot         = true
}

# Aurora MySQL clusters: backups and encryption are set on the cluster, sizing on the
# instances.

resource "aws_rds_cluster" "analytics" {
  cluster_identifier      = "analytics"
  engine                  = "aurora-mysql"
  engine_version          = "5.7.mysql_aurora.2.11.2"
  backup_retention_period = 3
  storage_encrypted       = true

  master_username             = "admin"
  manage_master_user_password = true
}

resource "aws_rds_cluster_instance" "analytics" {
  identifier         = "analytics-aurora"
  cluster_identifier = aws_rds_cluster.analytics.id
  engine             = aws_rds_cluster.analytics.engine
  instance_class     = "db.r6g.large"

  tags = {
    environment = "Production"
    team        = "bi"
  }
}

resource "aws_rds_cluster" "catalog" {
  cluster_identifier      = "catalog"
  engine                  = "aurora-mysql"
  engine_version          = "8.0.mysql_aurora.3.05.2"
  backup_retention_period = 7
  storage_encrypted       = true

  master_username             = "admin"
  manage_master_user_password = true
}

resource "aws_rds_cluster_instance" "catalog" {
  identifier         = "catalog-aurora"
  cluster_identifier = aws_rds_cluster.catalog.id
  engine             = aws_rds_cluster.catalog.engine
  instance_class     = "db.r6i.large"
  # Parameter group pinned for the catalog's full-text search settings.
  db_parameter_group_name = "catalog-aurora3"

  tags = {
    environment = "production"
    team        = "catalog"
  }
}
