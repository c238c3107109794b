# Azure Monitor: the on-call action group and the metric alerts on the shop's resources.

resource "azurerm_resource_group" "monitoring" {
  name     = "monitoring"
  location = "westeurope"
}

resource "azurerm_monitor_action_group" "ops_oncall" {
  name                = "ops-oncall"
  resource_group_name = azurerm_resource_group.monitoring.name
  short_name          = "ops-oncall"

  email_receiver {
    name          = "ops"
    email_address = "ops-oncall@example.com"
  }
}

resource "azurerm_monitor_metric_alert" "web_cpu_high" {
  name                = "web-cpu-high"
  resource_group_name = azurerm_resource_group.monitoring.name
  scopes = [
    azurerm_linux_virtual_machine.web_1.id,
    azurerm_linux_virtual_machine.web_2.id,
  ]
  severity    = 2
  frequency   = "PT5M"
  window_size = "PT15M"

  criteria {
    metric_namespace = "Microsoft.Compute/virtualMachines"
    metric_name      = "Percentage CPU"
    aggregation      = "Average"
    operator         = "GreaterThan"
    threshold        = 90
  }

  action {
    action_group_id = azurerm_monitor_action_group.ops_oncall.id
  }
}

# Disabled during the batch migration in March; nobody turned it back on.
resource "azurerm_monitor_metric_alert" "batch_cpu" {
  name                = "batch-cpu"
  resource_group_name = azurerm_resource_group.monitoring.name
  scopes              = [azurerm_linux_virtual_machine.batch_1.id]
  severity            = 3
  enabled             = true
  frequency           = "PT5M"
  window_size         = "PT15M"

  criteria {
    metric_namespace = "Microsoft.Compute/virtualMachines"
    metric_name      = "Percentage CPU"
    aggregation      = "Average"
    operator         = "GreaterThan"
    threshold        = 95
  }

  action {
    action_group_id = azurerm_monitor_action_group.ops_oncall.id
  }
}

resource "azurerm_monitor_metric_alert" "data_cpu" {
  name                     = "data-cpu"
  resource_group_name      = azurerm_resource_group.monitoring.name
  scopes                   = [azurerm_resource_group.data.id]
  severity                 = 2
  frequency                = "PT5M"
  window_size              = "PT15M"
  target_resource_type     = "Microsoft.DBforMySQL/flexibleServers"
  target_resource_location = "westeurope"

  criteria {
    metric_namespace = "Microsoft.DBforMySQL/flexibleServers"
    metric_name      = "cpu_percent"
    aggregation      = "Average"
    operator         = "GreaterThan"
    threshold        = 90
  }

  action {
    action_group_id = azurerm_monitor_action_group.ops_oncall.id
  }
}

resource "azurerm_monitor_metric_alert" "shop_events_throttledrequests" {
  name                = "shop-events-throttledrequests"
  resource_group_name = azurerm_resource_group.shop.name
  scopes              = [azurerm_eventhub_namespace.shop_events.id]
  description         = "ThrottledRequests above 0 on shop-events (added by aiops)"
  severity            = 2
  frequency           = "PT5M"
  window_size         = "PT15M"

  criteria {
    metric_namespace = "Microsoft.EventHub/namespaces"
    metric_name      = "ThrottledRequests"
    aggregation      = "Average"
    operator         = "GreaterThan"
    threshold        = 0
  }

  action {
    action_group_id = azurerm_monitor_action_group.ops_oncall.id
  }
}
