#!/usr/bin/env dotnet
// fast.ai course 2022 part 2, notebook 03_backprop, in C#: the forward and backward passes of a 784-50-1 MSE model
// by hand, then as layer classes, on a Module base, and with autograd, cell by cell in the course's order.
// Run from the repository root: dotnet run notebooks/03_backprop.cs
//
// Each course cell whose output the course stores prints "Out[N]:" and then its output, N being the cell's place among the
// course notebook's code cells (its stored execution counts are empty); "Out[N]: differs from the course (...)" marks one
// that is not the course's text (notebooks/course/03_backprop.txt). The test_close checks print nothing where they run,
// as in the course; the Summary lists them and counts the matching outputs, and the program exits non-zero if a check fails.
// The lesson's .g is the library's G extension on Tensor (using Backprop.Scratch): inp.G = out.G.matmul(w.t()).
// PublishAot=false: a file-based program defaults to native AOT, whose packs (314 MB) this notebook never uses.
// CopyLocalLockFileAssemblies=false with the dev runtimeconfig: the program runs TorchSharp and libtorch from the NuGet
// cache instead of copying libtorch (480 MB) into each notebook's build folder.
#:property PublishAot=false
#:property CopyLocalLockFileAssemblies=false
#:property GenerateRuntimeConfigDevFile=true
#:project ../src/Backprop.TorchSharp
#:include Notebook.cs

using Backprop.Data;
using Backprop.Native;
using Backprop.Scratch;
using static Notebook;
using static Py;
using static TorchSharp.torch;

Header("## The forward and backward passes");
// libtorch picks its vectorised kernels by CPU, and the pick changes the last bits of a sum: pinned to AVX2 (where the CPU
// has it), every x86-64 CPU computes what the course's did. Before the first torch operator; it also loads TorchSharp.
Kernels(CpuKernels.Pin());
manual_seed(42);
set_printoptions(precision: 2, linewidth: 125); // and sci_mode=False, the only mode TensorFormat prints
using var mnist = Mnist.Load(Mnist.DefaultDirectory()); // the course's mnist.pkl.gz, decoded to the same tensors
var (x_train, y_train, x_valid, y_valid) = (mnist.XTrain, mnist.YTrain, mnist.XValid, mnist.YValid);

Header("## Foundations version");
Header("## Basic architecture");
var (n, m) = (x_train.shape[0], x_train.shape[1]);
var c = y_train.max() + 1;
Out(2, $"({n}, {m}, {Repr(c)})");

const int nh = 50; // num hidden

var w1 = randn(m, nh);
var b1 = zeros(nh);
var w2 = randn(nh, 1);
var b2 = zeros(1);

static Tensor lin(Tensor x, Tensor w, Tensor b) => x.matmul(w) + b;

var t = lin(x_valid, w1, b1);
Out(6, Size(t));

static Tensor relu(Tensor x) => x.clamp_min(0.0);

t = relu(t);
Out(8, Repr(t));

// The course later rebinds `model` to a Model object; a C# name means one thing in a scope, so the function lives in a block.
Tensor res, preds;
{
    Tensor model(Tensor xb)
    {
        var l1 = lin(xb, w1, b1);
        var l2 = relu(l1);
        return lin(l2, w2, b2);
    }

    res = model(x_valid);
    Out(10, Size(res));

    Header("## Loss function: MSE");
    Out(11, $"({Size(res)}, {Size(y_valid)})");
    using (var broadcast = res - y_valid) Out(12, Size(broadcast)); // (10000, 1) - (10000) broadcasts to (10000, 10000)
    Out(13, Size(res[.., 0]));
    Out(14, Size(res.squeeze()));
    Out(15, Size(res[.., 0] - y_valid));

    (y_train, y_valid) = (y_train.@float(), y_valid.@float());

    preds = model(x_train);
    Out(16, Size(preds));
}

static Tensor mse(Tensor output, Tensor targ) => (output[.., 0] - targ).pow(2).mean();

Out(18, Repr(mse(preds, y_train)));

Header("## Gradients and backward pass");
// The course asks sympy for d(x²)/dx and d(3x² + 9)/dx; the power rule on polynomials is all these two cells need.
Out(19, diff((1, 2)));
Out(20, diff((3, 2), (9, 0)));

static void lin_grad(Tensor inp, Tensor @out, Tensor w, Tensor b)
{
    // grad of matmul with respect to input
    inp.G = @out.G.matmul(w.t());
    // The course's (inp.unsqueeze(-1) * out.g.unsqueeze(1)).sum(dim: 0) is this sum over the batch, but it first builds a
    // (50000, 784, 50) tensor, 7.8 GB: inpᵀ @ out.g adds up the same products without it.
    w.G = inp.t().matmul(@out.G);
    b.G = @out.G.sum(dim: 0);
}

void forward_and_backward(Tensor inp, Tensor targ)
{
    // forward pass:
    var l1 = lin(inp, w1, b1);
    var l2 = relu(l1);
    var @out = lin(l2, w2, b2);
    var diff = @out[.., 0] - targ;
    var loss = diff.pow(2).mean();

    // backward pass:
    @out.G = 2.0 * diff[.., TensorIndex.None] / inp.shape[0];
    lin_grad(l2, @out, w2, b2);
    l1.G = (l1 > 0).@float() * l2.G;
    lin_grad(inp, l1, w1, b1);
}

forward_and_backward(x_train, y_train);

// Save for testing against later
static Tensor get_grad(Tensor x) => x.G.clone();
Tensor[] chks = [w1, w2, b1, b2, x_train];
var grads = chks.Select(get_grad).ToArray();
var (w1g, w2g, b1g, b2g, ig) = (grads[0], grads[1], grads[2], grads[3], grads[4]);
x_train.G.Dispose(); // C#: ig holds its copy; free these 157 MB now, not whenever the garbage collector gets to them

// C#: the clones, their graph and every handle on their grads (314 MB for x_train) are freed once the check is done
var autogradCheck = NewDisposeScope();
static Tensor mkgrad(Tensor x) => x.clone().requires_grad_(true);
var ptgrads = chks.Select(mkgrad).ToArray();
var (w12, w22, b12, b22, xt2) = (ptgrads[0], ptgrads[1], ptgrads[2], ptgrads[3], ptgrads[4]);

Tensor forward(Tensor inp, Tensor targ)
{
    var l1 = lin(inp, w12, b12);
    var l2 = relu(l1);
    var @out = lin(l2, w22, b22);
    return mse(@out, targ);
}

var loss = forward(xt2, y_train);
loss.backward();

string[] names = ["w1", "w2", "b1", "b2", "x_train"];
foreach (var (a, b, name) in grads.Zip(ptgrads, names)) test_close(a, b.grad!, eps: 0.01, what: $"{name} vs autograd");
autogradCheck.Dispose();

Header("## Refactor model");
Header("## Layers as classes");
{
    using var cell = NewDisposeScope(); // C#: what the cell computes (x_train.G: 157 MB) is freed at its end
    var model = new Classes.Model(w1, b1, w2, b2);
    loss = model.Call(x_train, y_train);
    model.Backward();

    test_close(w2g, w2.G, eps: 0.01);
    test_close(b2g, b2.G, eps: 0.01);
    test_close(w1g, w1.G, eps: 0.01);
    test_close(b1g, b1.G, eps: 0.01);
    test_close(ig, x_train.G, eps: 0.01);
}

Header("## Module.forward()");
{
    using var cell = NewDisposeScope();
    var model = new Modules.Model(w1, b1, w2, b2);
    loss = model.Call(x_train, y_train);
    model.Backward();

    test_close(w2g, w2.G, eps: 0.01);
    test_close(b2g, b2.G, eps: 0.01);
    test_close(w1g, w1.G, eps: 0.01);
    test_close(b1g, b1.G, eps: 0.01);
    test_close(ig, x_train.G, eps: 0.01);
}

Header("## Autograd");
// from torch import nn; import torch.nn.functional as F: TorchSharp's torch.nn and torch.nn.functional.
{
    using var model = new Autograd.Model(m, nh, 1);
    loss = model.call(x_train, y_train);
    loss.backward();

    var l0 = (Autograd.Linear)model.layers[0];
    Out(49, Repr(l0.b.grad!));
}

return Summary();

// sympy's diff of a polynomial given as (coefficient, power) terms, printed as sympy prints it: 6*x, 2*x**3 + 1.
static string diff(params (int Coef, int Pow)[] terms) => string.Join(" + ", terms
    .Where(term => term.Pow > 0)
    .Select(term => (Coef: term.Coef * term.Pow, Pow: term.Pow - 1))
    .Select(term => term.Pow switch { 0 => $"{term.Coef}", 1 => $"{term.Coef}*x", _ => $"{term.Coef}*x**{term.Pow}" }));

namespace Classes
{
    /// <summary>What the lesson's layers have in common, so that Model can keep them in one list (Python needs no such type).</summary>
    interface ILayer
    {
        Tensor Call(Tensor inp);
        void Backward();
    }

    sealed class Relu : ILayer
    {
        public Tensor Inp { get; private set; } = null!;
        public Tensor Out { get; private set; } = null!;

        public Tensor Call(Tensor inp)
        {
            Inp = inp;
            Out = inp.clamp_min(0.0);
            return Out;
        }

        public void Backward() => Inp.G = (Inp > 0).@float() * Out.G;
    }

    sealed class Lin(Tensor w, Tensor b) : ILayer
    {
        public Tensor Inp { get; private set; } = null!;
        public Tensor Out { get; private set; } = null!;

        public Tensor Call(Tensor inp)
        {
            Inp = inp;
            Out = inp.matmul(w) + b; // lin(inp, self.w, self.b): the notebook's functions are not visible to its classes
            return Out;
        }

        public void Backward()
        {
            Inp.G = Out.G.matmul(w.t());
            w.G = Inp.t().matmul(Out.G);
            b.G = Out.G.sum(dim: 0);
        }
    }

    sealed class Mse
    {
        public Tensor Inp { get; private set; } = null!;
        public Tensor Targ { get; private set; } = null!;
        public Tensor Out { get; private set; } = null!;

        public Tensor Call(Tensor inp, Tensor targ)
        {
            (Inp, Targ) = (inp, targ);
            Out = (inp[.., 0] - targ).pow(2).mean(); // mse(inp, targ)
            return Out;
        }

        public void Backward() => Inp.G = 2.0 * (Inp.squeeze() - Targ).unsqueeze(-1) / Targ.shape[0];
    }

    sealed class Model(Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        public ILayer[] Layers { get; } = [new Lin(w1, b1), new Relu(), new Lin(w2, b2)];
        public Mse Loss { get; } = new();

        public Tensor Call(Tensor x, Tensor targ)
        {
            foreach (var l in Layers) x = l.Call(x);
            return Loss.Call(x, targ);
        }

        public void Backward()
        {
            Loss.Backward();
            foreach (var l in Layers.Reverse()) l.Backward();
        }
    }
}

namespace Modules
{
    abstract class Module
    {
        public Tensor[] Args { get; private set; } = [];
        public Tensor Out { get; private set; } = null!;

        public Tensor Call(params Tensor[] args)
        {
            Args = args;
            Out = Forward(args);
            return Out;
        }

        protected abstract Tensor Forward(Tensor[] args);
        public void Backward() => Bwd(Out, Args);
        protected abstract void Bwd(Tensor @out, Tensor[] args);
    }

    sealed class Relu : Module
    {
        protected override Tensor Forward(Tensor[] args) => args[0].clamp_min(0.0);
        protected override void Bwd(Tensor @out, Tensor[] args) => args[0].G = (args[0] > 0).@float() * @out.G;
    }

    sealed class Lin(Tensor w, Tensor b) : Module
    {
        protected override Tensor Forward(Tensor[] args) => args[0].matmul(w) + b;

        protected override void Bwd(Tensor @out, Tensor[] args)
        {
            var inp = args[0];
            inp.G = Out.G.matmul(w.t());
            w.G = inp.t().matmul(Out.G);
            b.G = Out.G.sum(dim: 0);
        }
    }

    sealed class Mse : Module
    {
        protected override Tensor Forward(Tensor[] args) => (args[0].squeeze() - args[1]).pow(2).mean();
        protected override void Bwd(Tensor @out, Tensor[] args) => args[0].G = 2 * (args[0].squeeze() - args[1]).unsqueeze(-1) / args[1].shape[0];
    }

    /// <summary>The course's Model, unchanged: in Python its Lin, Relu and Mse now mean the Module ones; C# binds names where it compiles, so it is written again here.</summary>
    sealed class Model(Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        public Module[] Layers { get; } = [new Lin(w1, b1), new Relu(), new Lin(w2, b2)];
        public Mse Loss { get; } = new();

        public Tensor Call(Tensor x, Tensor targ)
        {
            foreach (var l in Layers) x = l.Call(x);
            return Loss.Call(x, targ);
        }

        public void Backward()
        {
            Loss.Backward();
            foreach (var l in Layers.Reverse()) l.Backward();
        }
    }
}

namespace Autograd
{
    sealed class Linear : nn.Module<Tensor, Tensor>
    {
        public readonly Tensor w, b;

        public Linear(long n_in, long n_out) : base(nameof(Linear))
        {
            w = randn(n_in, n_out).requires_grad_();
            b = zeros(n_out).requires_grad_();
        }

        public override Tensor forward(Tensor inp) => inp.matmul(w) + b;
    }

    sealed class Model : nn.Module<Tensor, Tensor, Tensor>
    {
        // A plain list, as in the course: nn.Module does not see these layers (lesson 04 registers them).
        public readonly List<nn.Module<Tensor, Tensor>> layers;

        public Model(long n_in, long nh, long n_out) : base(nameof(Model)) =>
            layers = [new Linear(n_in, nh), nn.ReLU(), new Linear(nh, n_out)];

        public override Tensor forward(Tensor x, Tensor targ)
        {
            foreach (var l in layers) x = l.call(x);
            return nn.functional.mse_loss(x, targ[.., TensorIndex.None]);
        }
    }
}
