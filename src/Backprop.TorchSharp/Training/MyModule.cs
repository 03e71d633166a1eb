using System.Runtime.CompilerServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// The lesson's <c>MyModule</c> (cell 13): what <c>__setattr__</c> does for <c>nn.Module</c>, done by hand. In Python every
/// assignment to a public attribute lands in <c>self._modules</c>; in C# each property's setter records the module under the
/// property's name, and <see cref="Parameters"/> yields from every recorded module.
/// </summary>
public sealed class MyModule : IDisposable
{
    private readonly OrderedDictionary<string, nn.Module> _modules = [];

    /// <summary>Assigns l1 = Linear(nIn, nh) and l2 = Linear(nh, nOut): each assignment registers itself.</summary>
    public MyModule(int nIn, int nh, int nOut)
    {
        L1 = nn.Linear(nIn, nh);
        L2 = nn.Linear(nh, nOut);
    }

    /// <summary>The first layer; setting it registers it as <c>l1</c>.</summary>
    public Linear L1 { get => Get<Linear>(); set => Set(value); }

    /// <summary>The second layer; setting it registers it as <c>l2</c>.</summary>
    public Linear L2 { get => Get<Linear>(); set => Set(value); }

    /// <summary>The registry: attribute name to module, in assignment order (the lesson's <c>self._modules</c>).</summary>
    public IReadOnlyDictionary<string, nn.Module> Modules => _modules;

    /// <summary>Every parameter of every registered module, in order (the lesson's <c>yield from l.parameters()</c>).</summary>
    public IEnumerable<Parameter> Parameters() => _modules.Values.SelectMany(l => l.parameters());

    /// <summary>The registry as the lesson prints it: <c>{'l1': Linear(in_features=784, out_features=50, bias=True), ...}</c>.</summary>
    public override string ToString() => "{" + string.Join(", ", _modules.Select(kv => $"'{kv.Key}': {Describe(kv.Value)}")) + "}";

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var l in _modules.Values) l.Dispose();
    }

    private T Get<T>([CallerMemberName] string property = "") where T : nn.Module => (T)_modules[AttributeName(property)];

    // What __setattr__ does: record the module under the attribute's name (a new value replaces the old one in place).
    private void Set(nn.Module value, [CallerMemberName] string property = "") => _modules[AttributeName(property)] = value;

    private static string AttributeName(string property) => string.Concat(char.ToLowerInvariant(property[0]).ToString(), property.AsSpan(1));

    private static string Describe(nn.Module m) => m is Linear l
        ? $"Linear(in_features={l.in_features}, out_features={l.out_features}, bias={(l.bias is null ? "False" : "True")})"
        : m.GetName();
}
