using static TorchSharp.torch;
using C = Backprop.Scratch.Classes;
using M = Backprop.Scratch.Modules;

namespace Backprop.Tests.Scratch.Forms;

/// <summary>A layer, a loss or a model as the tests drive it: the lesson's <c>__call__</c> and <c>backward</c>.</summary>
public sealed class Layer(Func<Tensor[], Tensor> call, Action backward)
{
    /// <summary>The forward pass, saving what backward needs.</summary>
    public Tensor Call(params Tensor[] args) => call(args);

    /// <summary>The backward pass: reads the output's <c>G</c>, writes the inputs'.</summary>
    public void Backward() => backward();
}

/// <summary>
/// The lesson writes its layers twice with the same surface: as plain classes ("Refactor model") and on a
/// <see cref="M.Module"/> base ("Module.forward()"). A form builds one of them, so that one suite checks both.
/// </summary>
public sealed record LayerForm(
    string Name,
    Func<Tensor, Tensor, Layer> Lin,
    Func<Layer> Relu,
    Func<Layer> Mse,
    Func<Tensor, Tensor, Tensor, Tensor, (Layer Model, int Layers)> Model)
{
    /// <summary><c>Backprop.Scratch.Classes</c>: each layer a class of its own.</summary>
    public static LayerForm Classes { get; } = new(
        "classes",
        (w, b) => { var l = new C.Lin(w, b); return new Layer(a => l.Call(a[0]), l.Backward); },
        () => { var l = new C.Relu(); return new Layer(a => l.Call(a[0]), l.Backward); },
        () => { var l = new C.Mse(); return new Layer(a => l.Call(a[0], a[1]), l.Backward); },
        (w1, b1, w2, b2) => { var m = new C.Model(w1, b1, w2, b2); return (new Layer(a => m.Call(a[0], a[1]), m.Backward), m.Layers.Count); });

    /// <summary><c>Backprop.Scratch.Modules</c>: each layer writes only forward and bwd on the Module base.</summary>
    public static LayerForm Modules { get; } = new(
        "modules",
        (w, b) => { var l = new M.Lin(w, b); return new Layer(l.Call, l.Backward); },
        () => { var l = new M.Relu(); return new Layer(l.Call, l.Backward); },
        () => { var l = new M.Mse(); return new Layer(l.Call, l.Backward); },
        (w1, b1, w2, b2) => { var m = new M.Model(w1, b1, w2, b2); return (new Layer(a => m.Call(a[0], a[1]), m.Backward), m.Layers.Count); });

    /// <summary>The form called <paramref name="name"/>.</summary>
    public static LayerForm Named(string name) => name switch
    {
        "classes" => Classes,
        "modules" => Modules,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such form"),
    };

    /// <summary>Both forms.</summary>
    public static TheoryData<string> Names => ["classes", "modules"];

    /// <summary>Both forms, each with every float64 seed.</summary>
    public static TheoryData<string, int> NamesAndSeeds => Cross(Float64Case.Seeds);

    /// <summary>Both forms, each with every finite-difference seed.</summary>
    public static TheoryData<string, int> NamesAndFdSeeds => Cross(Float64Case.FdSeeds);

    private static TheoryData<string, int> Cross(TheoryData<int> seeds)
    {
        var data = new TheoryData<string, int>();
        foreach (var name in new[] { "classes", "modules" })
            foreach (int seed in seeds) data.Add(name, seed);
        return data;
    }
}
