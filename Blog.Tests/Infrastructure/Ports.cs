using System.Net;
using System.Net.Sockets;

namespace Blog.Tests.Infrastructure;

public static class Ports
{
    /// <summary>A loopback port nothing listens on right now, for helper servers the tests start.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
