# Azure side of the shop: web and batch VMs, the orders MySQL flexible server and the
# Event Hubs namespace the storefront publishes to.

resource "azurerm_resource_group" "shop" {
  name     = "shop"
  location = "westeurope"
}

resource "azurerm_resource_group" "batch" {
  name     = "batch"
  location = "westeurope"
}

resource "azurerm_resource_group" "data" {
  name     = "data"
  location = "westeurope"
}

resource "azurerm_linux_virtual_machine" "web_1" {
  name                  = "web-1"
  resource_group_name   = azurerm_resource_group.shop.name
  location              = azurerm_resource_group.shop.location
  size                  = "Standard_D2s_v5"
  admin_username        = "shop"
  network_interface_ids = [azurerm_network_interface.web_1.id]

  admin_ssh_key {
    username   = "shop"
    public_key = var.admin_ssh_public_key
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }

  tags = {
    environment = "production"
    team        = "shop"
  }
}

resource "azurerm_linux_virtual_machine" "web_2" {
  name                  = "web-2"
  resource_group_name   = azurerm_resource_group.shop.name
  location              = azurerm_resource_group.shop.location
  size                  = "Standard_D4s_v5"
  admin_username        = "shop"
  network_interface_ids = [azurerm_network_interface.web_2.id]

  admin_ssh_key {
    username   = "shop"
    public_key = var.admin_ssh_public_key
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }

  tags = {
    environment = "production"
    team        = "shop"
  }
}

# Compute-optimised VM for the nightly batch jobs.
resource "azurerm_linux_virtual_machine" "batch_1" {
  name                  = "batch-1"
  resource_group_name   = azurerm_resource_group.batch.name
  location              = azurerm_resource_group.batch.location
  size                  = "Standard_F4s_v2"
  admin_username        = "batch"
  network_interface_ids = [azurerm_network_interface.batch_1.id]

  admin_ssh_key {
    username   = "batch"
    public_key = var.admin_ssh_public_key
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Standard_LRS"
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }

  tags = {
    team = "data"
  }
}

resource "azurerm_mysql_flexible_server" "orders" {
  name                = "orders-mysql"
  resource_group_name = azurerm_resource_group.data.name
  location            = azurerm_resource_group.data.location
  version             = "8.0.21"
  sku_name            = "GP_Standard_D2ds_v4"

  storage {
    size_gb           = 128
    auto_grow_enabled = true
  }

  high_availability {
    mode = "ZoneRedundant"
  }

  tags = {
    environment = "production"
  }
}

resource "azurerm_eventhub_namespace" "shop_events" {
  name                = "shop-events"
  resource_group_name = azurerm_resource_group.shop.name
  location            = azurerm_resource_group.shop.location
  sku                 = "Standard"
  capacity            = 2
}
