// Two "hosts" on one machine: two network namespaces joined by a veth pair, each with its own
// address on a private /24 and its own loopback, so both servers can use port 6379 and reach
// each other only over the pair, as the operator's two machines do. Needs root (ip netns), which
// the test machines have; a failure to create them fails the test instead of skipping it.
using System.Diagnostics;

namespace Cinnabar.IntegrationTests.Infrastructure;

/// <summary>A master namespace and a replica namespace, deleted on Dispose.</summary>
internal sealed class HostNamespaces : IDisposable
{
    private static int s_counter;

    private HostNamespaces(string tag, int subnet)
    {
        MasterNamespace = $"cinnabar-{tag}-m";
        ReplicaNamespace = $"cinnabar-{tag}-r";
        MasterAddress = $"10.213.{subnet}.1";
        ReplicaAddress = $"10.213.{subnet}.2";
    }

    public string MasterNamespace { get; }

    public string ReplicaNamespace { get; }

    public string MasterAddress { get; }

    public string ReplicaAddress { get; }

    /// <summary>Creates both namespaces, the veth pair between them and their addresses.</summary>
    public static async Task<HostNamespaces> CreateAsync()
    {
        int n = Interlocked.Increment(ref s_counter);
        string tag = $"{Environment.ProcessId % 100000}-{n}";
        var ns = new HostNamespaces(tag, (Environment.ProcessId + n) % 250 + 1);
        string vm = $"cvm{Environment.ProcessId % 100000}x{n}", vr = $"cvr{Environment.ProcessId % 100000}x{n}";
        try
        {
            await IpAsync("netns", "add", ns.MasterNamespace);
            await IpAsync("netns", "add", ns.ReplicaNamespace);
            await IpAsync("link", "add", vm, "type", "veth", "peer", "name", vr);
            await IpAsync("link", "set", vm, "netns", ns.MasterNamespace);
            await IpAsync("link", "set", vr, "netns", ns.ReplicaNamespace);
            await IpAsync("-n", ns.MasterNamespace, "addr", "add", ns.MasterAddress + "/24", "dev", vm);
            await IpAsync("-n", ns.ReplicaNamespace, "addr", "add", ns.ReplicaAddress + "/24", "dev", vr);
            foreach (var (name, dev) in new[] { (ns.MasterNamespace, vm), (ns.ReplicaNamespace, vr) })
            {
                await IpAsync("-n", name, "link", "set", "lo", "up");
                await IpAsync("-n", name, "link", "set", dev, "up");
            }
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>Deletes both namespaces (the veth pair goes with them).</summary>
    public void Dispose()
    {
        foreach (var name in new[] { MasterNamespace, ReplicaNamespace })
        {
            using var p = Process.Start(new ProcessStartInfo("ip", ["netns", "del", name])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            p.WaitForExit(10_000);
        }
    }

    private static async Task IpAsync(params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo("ip", args)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}");
        }
    }
}
