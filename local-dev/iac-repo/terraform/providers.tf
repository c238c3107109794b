# Providers for the shop's data tier: AWS (RDS MySQL, Kinesis) in two regions and
# Azure (VMs, MySQL, Event Hubs, Monitor) in one subscription.

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.10"
    }
  }

  backend "s3" {
    bucket = "shop-terraform-state"
    key    = "data/terraform.tfstate"
    region = "eu-west-1"
  }
}

provider "aws" {
  region = "eu-west-1"

  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}

provider "azurerm" {
  features {}
  subscription_id = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
}
