variable "payments_instance_class" {
  description = "Instance class of payments-db; sized per environment in the tfvars."
  type        = string
  default     = "db.m5.large"
}

variable "db_subnet_group" {
  description = "Subnet group of the private database subnets."
  type        = string
  default     = "shop-private-db"
}

variable "admin_ssh_public_key" {
  description = "Public key for the admin user of the Azure VMs."
  type        = string
}
