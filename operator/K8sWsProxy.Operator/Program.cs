Console.Error.WriteLine("usage: K8sWsProxy.Operator (the controller is not wired up yet)");
return 2;
