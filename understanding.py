"""What a customer's WhatsApp text means for Theo's state machine.

Pure functions, no I/O, no sessions: `normalize` a text, read a numbered
choice, a yes/no, a global command, or the intent named in free words.

`detect_intent` works on a vocabulary table (`VOCABULARY`, below) written so
that someone who is not a programmer can add a phrase. How a decision is made:

1. The text is cut into sentences at punctuation, normalized, and words that
   are clearly typos of a keyword are corrected (rapidfuzz, keywords of 5+ letters).
2. Every phrase of the table that occurs is a *match*. A match lying inside a
   longer match is dropped ("atendimento tecnico" hides "atendimento"); the
   `IGNORED` phrases exist only to hide what they contain ("paguei o boleto").
3. A request negated right before it is dropped ("nao quero cancelar").
4. `phrases` are strong evidence, `hints` weak: hints count only when no strong
   phrase matched, and hints pointing to different menus give None.
5. Several intents left: the first in `PRIORITY` wins. Explicit requests beat
   problem descriptions, because the request is what the customer asks Theo to
   do ("nao consigo pagar o boleto porque estou sem internet" -> BOLETO;
   "quero cancelar, a internet vive caindo" -> CANCELAR). Inside the support
   menu the most specific problem wins, and cancel + change together mean the
   generic plan menu (PLANO).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

# --- Intents and commands ----------------------------------------------------
BOLETO = "boleto"
SUPORTE = "suporte"
SEM_INTERNET = "sem_internet"
LENTA = "lenta"
MODEM_DESLIGADO = "modem_desligado"
OUTRO_PROBLEMA = "outro_problema"
CONTRATAR = "contratar"
COBERTURA = "cobertura"
PLANO = "plano"
CANCELAR = "cancelar"
ALTERAR_PLANO = "alterar_plano"
ATENDENTE = "atendente"

MAIN_MENU_INTENTS: tuple[str, ...] = (BOLETO, SUPORTE, CONTRATAR, COBERTURA, PLANO, ATENDENTE)
SUPPORT_MENU_INTENTS: tuple[str, ...] = (SEM_INTERNET, LENTA, MODEM_DESLIGADO, OUTRO_PROBLEMA)
PLAN_MENU_INTENTS: tuple[str, ...] = (CANCELAR, ALTERAR_PLANO)

CMD_MENU = "menu"
CMD_BACK = "back"
CMD_EXIT = "exit"

IGNORED = ""  # pseudo-intent of phrases that only hide the words inside them

# When several intents remain, the first one listed wins (see the module docstring).
PRIORITY: tuple[str, ...] = (
    ATENDENTE,
    CANCELAR,
    ALTERAR_PLANO,
    PLANO,
    BOLETO,
    CONTRATAR,
    MODEM_DESLIGADO,
    SEM_INTERNET,
    LENTA,
    OUTRO_PROBLEMA,
    SUPORTE,
    COBERTURA,
)
_MENU_OF = {intent: PLANO for intent in (PLANO, *PLAN_MENU_INTENTS)} | {
    intent: SUPORTE for intent in (SUPORTE, *SUPPORT_MENU_INTENTS)
}


def _words(text: str) -> frozenset[str]:
    """A word list written as one string, the easiest form to edit."""
    return frozenset(text.split())


# --- Vocabulary ----------------------------------------------------------------
# Phrases are written in normalized form (lowercase, no accents). Syntax:
#   words in order       "segunda via"         the words, one after the other
#   a/b/c                "cai/caiu"            any one of these
#   a_b                  "caiu de_novo/aqui"   "_" is a space inside a choice ("de novo")
#   {group}              "sem {net}"           any entry of GROUPS["net"]
#   word?                "caiu a? internet"    the word may be missing
#   word*                "cancel*"             any word starting with "cancel"
#   ...                  "caiu ... internet"   up to 3 other words in between
#   <num> / <cep>        "<num> mega"          any number / a CEP (8 digits)
#   ^ / $                "^ plano $"           the sentence starts / ends here
GROUPS: dict[str, str] = {
    "net": "internet/net/wifi/conexao/rede/fibra/sinal/sinal de internet",
    "modem": "modem/moden/roteador/roteadores/router/aparelho/aparelhinho/onu/ont/equipamento"
    "/caixinha/modem da fibra",
    "down": "caiu/caida/caido/parou/parada/fora/off/offline/sumiu/acabou/morreu/cortada/cortado"
    "/cortaram/cortou/bloqueada/bloqueado/bloquearam/suspensa/suspenso/suspenderam"
    "/desconectada/desconectado/desconectou/desligada/desligou/inativa/zerada/zerou"
    "/nao funciona/nao funcionando/nao esta funcionando/nao ta funcionando/nao funcionou"
    "/nao conecta/nao conectando/nao esta conectando/nao ta conectando/nao conectou"
    "/nao pega/nao pegando/nao ta pegando/nao esta pegando/nao vai/nao navega/nao abre"
    "/nao entra/nao anda/nao carrega/nao responde/nao aparece/nao volta/nao voltou"
    "/nao quer funcionar/nao quer conectar/nao quer pegar/parou de funcionar/fora do ar"
    "/nao tem/nao ta indo/nao esta indo/nao da/sem funcionar/foi embora/nao conecta mais",
    "slow": "lenta/lento/lentas/lentos/lentinha/lentissima/lentidao/devagar/devagarinho/lerda"
    "/lerdo/lerdeza/fraca/fraco/ruim/pessima/pessimo/horrivel/porcaria/uma merda/uma bosta"
    "/travando/travada/travado/trava/travou/oscilando/oscila/oscilacao/instavel/caindo/cai"
    "/desconectando/desconecta/picotando/lagando/arrastando/meia boca/capenga",
    "off": "desligado/desligada/desligou/desliga sozinho/apagado/apagada/apagou/morto/morta"
    "/morreu/queimou/queimado/queimada/pifou/nao liga/nao ligou/nao ta ligando/nao esta ligando"
    "/nao quer ligar/nao liga mais/nao acende/nao ascende/nao acendeu/nao acende nada/sem luz"
    "/sem luzes/sem energia/sem nenhuma luz/nenhuma luz/nao da sinal de vida/nao tem luz"
    "/nao tem energia/sem vida/luzes apagadas/todo apagado/tudo apagado/nao tem nenhuma luz",
    "place": "bairro/bairros/rua/ruas/regiao/regioes/cidade/cidades/cep/endereco/enderecos"
    "/condominio/condominios/localidade/zona/sitio/chacara/avenida/vila/jardim/distrito/predio"
    "/loteamento/municipio/area/areas/local/locais/residencial/comunidade/zona rural/povoado",
    "change": "mudar/muda/mudanca/trocar/troca/alterar/altera/alteracao/migrar/migracao"
    "/aumentar/aumenta/aumento/diminuir/diminui/reduzir/rebaixar/modificar/mexer",
    "planword": "plano/planos/pacote/velocidade/mega/megas/giga/assinatura",
    "often": "toda hora/todo dia/toda vez/todo momento/todo instante/o tempo todo/o dia todo"
    "/direto/muito/muitas vezes/varias vezes/sempre/demais/frequente/frequentemente"
    "/constantemente/de vez em quando/as vezes",
    "human": "alguem/pessoa/atendente/humano/gente/funcionario/funcionaria/responsavel/gerente"
    "/supervisor/supervisora/operador/operadora/moca/moco/rapaz/voces/alguem responsavel"
    "/ser humano/pessoal/setor responsavel/start",
}


@dataclass(frozen=True)
class Words:
    """What tells an intent apart: strong `phrases` and weak `hints`."""

    phrases: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()


VOCABULARY: dict[str, Words] = {
    BOLETO: Words(
        phrases=(
            "boleto/boletos/boletinho/boleta",
            "2a/2o/2/segunda/seg via",
            "2via/2avia/2ovia/segundavia",
            "fatura/faturas",
            "pix",
            "codigo de barras",
            "linha digitavel",
            "copia e cola",
            "mensalidade/mensalidades",
            "divida/dividas/debito/debitos",
            "conta ... atrasada/atrasadas/vencida/vencidas/aberta/pendente/pendentes/venceu/vence"
            "/vencendo",
            "conta do mes",
            "conta da/de internet",
            "conta pra/para pagar",
            "em aberto",
            "pendencia/pendencias",
            "pagar/pagamento ... conta/mensalidade/mes/internet/atrasado/atrasada/atraso",
            "quero/preciso/queria/gostaria/como/onde/posso/podemos pagar",
            "como faco/faz pra/para pagar",
            "onde/como pago",
            "forma/formas/meio/meios de pagamento",
            "vencimento",
            "quanto eu? devo",
            "quanto ... fatura/conta/mensalidade",
            "valor da/do/de minha? conta/mensalidade/mes",
        ),
        hints=(
            "pagar",
            "pagamento/pagamentos",
            "^ conta $",
            "cobranca/cobrancas",
            "vencida/vencido",
        ),
    ),
    SEM_INTERNET: Words(
        phrases=(
            "sem/s {net}",
            "sem acesso/servico/navegacao",
            "{net} ... {down}",
            "{down} ... {net}",
            "nao tenho/temos/tem {net}",
            "nao estou/to/ta/estamos com {net}",
            "nao consigo/consegui/conseguimos/da_pra/da_para usar/acessar/conectar/entrar/navegar",
            "nao estou/to/ta conseguindo usar/acessar/conectar/entrar/navegar",
            "estou/to/ta/estamos/tamo/fiquei/ficamos/ficou sem $",
            "luz/luzes/led/luzinha ... vermelha/vermelho/vermelhinha/laranja/piscando/pisca",
            "vermelha/vermelho ... luz/led",
            "piscando/pisca/piscou/acesa/acendeu ... vermelho/vermelha/laranja",
            "vermelho/vermelha/laranja ... piscando",
            "{modem} ... vermelho/vermelha/laranja",
            "los",
            "pon ... vermelha/vermelho/piscando/apagada/apagado",
            "fora do ar",
            "caiu tudo/aqui/de_novo/novamente",
            "nada funciona/abre/carrega/conecta",
            "nao abre/carrega/entra/funciona/pega/conecta nada",
            "nao ta/esta pegando nada",
            "nao navega",
            "nao conecta/conectando/conectou",
            "nao esta/ta conectando",
            "parou de funcionar",
            "offline",
            "{net} de volta",
            "nada de {net}",
            "cade ... {net}",
            "quero/queria minha? {net} de volta",
            "desbloquear/desbloqueio/religar/religamento/religacao",
            "queda de/da/na? {net}",
        ),
        hints=("caiu/caida", "nao funciona", "nao esta/ta funcionando", "nao pega", "queda"),
    ),
    LENTA: Words(
        phrases=(
            "{net} ... {slow}",
            "{slow} ... {net}",
            "lenta/lento/lentidao/devagar/lerda/lerdo/travando/travada/travado/travamento"
            "/travamentos/oscilando/oscilacao/instavel/instabilidade/lag/lagando/ping/latencia"
            "/picotando/quedas/intermitente/caindo",
            "{net}? ... cai/caiu/caindo/desconecta/desconectando/desconectou/some/sumindo"
            " ... {often}",
            "velocidade/velocidades ... baixa/baixo/abaixo/menor/menos/ruim/lenta/pessima/caiu"
            "/reduzida/oscilando/fraca/metade/inferior/errada",
            "baixa velocidade",
            "velocidade nao/nunca ta/esta? chega/chegando/bate/batendo/vem/vindo",
            "nao ta/esta? chega/chegando/bate/batendo/vem/vindo/recebo/entrega/atinge a/na?"
            " velocidade",
            "metade da velocidade",
            "teste de velocidade",
            "speedtest/speed_test",
            "demora/demorando/demorado/demorada muito/demais? pra/para/a?"
            " carregar/abrir/baixar/entrar",
            "fica/ficam carregando",
            "carregando/carrega devagar",
            "iptv ... nao_funciona/parou/caiu/ruim/trava/travando/falhando",
            "tv/iptv/canal/canais/video/videos/youtube/netflix/jogo/jogos/filme/filmes/live/stream"
            " ... trava/travando/travada/travou/picotando/congelando/congela/carregando",
            "trava ... {often}",
            "{net}? nao pega/chega/alcanca aqui? no/na/em/nos/nas/ate_o/ate_a? quarto/sala/cozinha"
            "/quintal/andar/fundos/fundo/banheiro/escritorio",
            "pago/paguei/contratei/assinei ... <num> ... vem/chega/recebo/so/somente/apenas <num>",
            "<num> mega/megas/mb/giga ... vem/vindo/chega/chegando/recebo/recebendo/dando/batendo"
            "/so/somente/apenas <num>",
        ),
        hints=("iptv",),
    ),
    MODEM_DESLIGADO: Words(
        phrases=(
            "{modem} ... {off}",
            "{off} ... {modem}",
            "nenhuma luz/luzinha",
            "luzes ... apagadas/apagaram/desligadas",
            "todas as luzes ... apagadas",
            "nao acende nenhuma luz",
            "nao acende nada",
            "nao da sinal de vida",
            "desligado",
            "fonte ... queimou/queimada/queimado/estragou/estragada/nao_funciona/com_defeito/ruim",
        ),
        hints=("nao liga", "apagado/apagou/queimou", "fonte", "luz apagada", "sem energia"),
    ),
    OUTRO_PROBLEMA: Words(
        phrases=(
            "outro/outros problema/problemas",
            "outro tipo de problema",
            "problema diferente",
            "outro defeito",
            "senha",
            "nome da/do rede/wifi",
            "configurar/configuracao/configura/configure ... {modem}/{net}/repetidor",
            "cabo/fio/fios/cabos ... rompido/rompeu/partido/partiu/arrebentado/arrebentou/caido"
            "/caiu/cortado/cortaram/cortou/solto/soltou/estourado/quebrado/quebrou/no_chao"
            "/pendurado",
            "mudar/trocar ... {modem} de lugar/comodo/posicao",
        ),
        hints=(
            "^ outro/outros/outra $",
            "outra coisa",
            "nenhuma dessas/desses/das_opcoes",
            "nenhum desses",
            "repetidor/extensor",
            "poste",
        ),
    ),
    SUPORTE: Words(
        phrases=(
            "suporte",
            "problema/problemas tecnico/tecnicos",
            "assistencia",
            "tecnico/tecnicos/tecnica",
            "visita",
            "reparo/conserto/consertar/manutencao",
            "defeito",
            "chamado",
            "ordem de servico",
            "problema/problemas ... {net}/{modem}",
            "{net}/{modem} ... problema/problemas/defeito/pane",
            "tem/teve/ta_tendo/esta_tendo algum/alguma? problema/problemas/manutencao/queda"
            "/instabilidade ... {place}",
            "ajuda ... {net}/{modem}",
            "{net}? ... nao funciona/funcionando direito",
            "{net}? ... nao esta/ta funcionando direito",
            "{net} ... nao esta/ta/e? boa/bom/normal/legal/direito/certo",
            "{net} ta/esta estranha/esquisita/doida/maluca/estranho/esquisito/doido/maluco",
            "{modem} ... quebrou/quebrado/estragou/estragado",
        ),
        hints=("problema/problemas", "{modem}", "minha/meu {net}"),
    ),
    CONTRATAR: Words(
        phrases=(
            "contratar/contrata/contratacao/contratando/contrataria/contratasse",
            "contrato novo",
            "novo contrato",
            "assinar/assinando",
            "ser/virar/tornar cliente",
            "novo/novos cliente/clientes",
            "cliente/clientes novo/novos",
            "quero/queria/gostaria/desejo de? ter? uma? internet/fibra",
            "instalar/instalacao ... internet/fibra/net/wifi/ponto",
            "nova instalacao",
            "colocar/botar/por/puxar ... internet/fibra/net",
            "qual/quais o/os? plano/planos",
            "quais ... planos",
            "ver/conhecer/saber ... planos",
            "planos disponiveis/residenciais/empresariais/de_internet/de_fibra",
            "tabela de precos",
            "valor/valores/preco/precos ... plano/planos/internet/fibra/mega/megas/instalacao",
            "quanto custa/custaria/custam",
            "quanto fica/sai/e/ta/cobra/cobram ... plano/planos/internet/instalacao/mega/megas"
            "/fibra",
            "orcamento",
            "vendas/comercial/vendedor/vendedora/consultor/consultora",
            "tenho interesse",
            "adquirir ... internet/fibra/plano/planos",
            "quero/queria/gostaria a internet/fibra de/da voces/start",
            "tem/teria/existe plano/planos",
            "taxa de instalacao",
            "adesao",
        ),
        hints=(
            "planos",
            "instalar/instalacao",
            "preciso de internet",
            "promocao/promocoes/oferta/ofertas/desconto",
            "<num> mega/megas/giga/mb",
            "plano/planos de <num> mega/megas/giga/mb?",
            "valores/preco/precos",
            "interesse",
        ),
    ),
    COBERTURA: Words(
        phrases=(
            "cobertura",
            "disponibilidade",
            "viabilidade",
            "disponivel ... {place}/aqui",
            "atende/atendem/atendendo/chega/chegam/chegou/tem/teria/instalam/instala/cobre/cobrem"
            "/passa/passam/funciona/funcionam/existe/trabalham/trabalha/oferecem/operam/opera"
            " ... {place}",
            "atende/atendem/atendendo/chega/chegam/instalam/instala/cobrem/cobre/operam/trabalham"
            " em/aqui/ai/la/nessa/nesse/neste/nesta",
            "{place} ... atende/atendem/atendidos/atendida/atendido/coberto/coberta/cobre/cobrem"
            "/chega",
            "onde ... atendem/atuam/funcionam",
            "tem/chega internet/fibra/start ... aqui/ai/la",
            "tem/chega {net}/start ... {place}",
            "atende/atendem/tem/chega/chegam ... <cep>",
            "<cep> ... atende/atendem/tem/chega/chegam",
            "cep",
        ),
    ),
    PLANO: Words(
        phrases=("^ plano $", "^ meu plano $"),
        hints=("plano", "meu plano", "meu contrato"),
    ),
    CANCELAR: Words(
        phrases=(
            "cancelar/cancela/cancelo/cancelamento/cancelamentos/cancelando/cancelaria/cancelem"
            "/cancele/cancelasse",
            "encerrar/encerramento/finalizar ... contrato/plano/servico/internet/assinatura",
            "rescindir/rescisao/recisao/resindir/distrato",
            "sair da/de start/operadora/empresa/voces/provedor",
            "desistir/desisto/desistencia ... internet/servico/plano/contrato/start/voces",
            "nao quero mais ... internet/servico/plano/start/voces/contrato/empresa/operadora",
            "trocar/mudar de operadora/provedor/empresa/internet",
            "outra operadora/empresa",
            "outro provedor",
            "retirar/retirada/recolher/recolhimento/devolver/devolucao ... {modem}",
            "desligamento",
            "desligar a/o/minha/meu? internet/servico/linha/assinatura/contrato",
            "tirar/remover a/o/minha/meu? internet/servico/plano",
        ),
        hints=("multa", "fidelidade"),
    ),
    ALTERAR_PLANO: Words(
        phrases=(
            "{change} ... {planword}",
            "upgrade/downgrade",
            "plano maior/melhor/menor/superior/inferior",
            "mais velocidade/mega/megas",
            "outro plano",
            "passar/ir pro/para/pra o? plano/pacote",
            "alterar/alteracao",
            "melhorar/baixar/subir o/meu? plano",
            "aumentar/aumento a/minha? internet/net",
        ),
        hints=("plano mais",),
    ),
    ATENDENTE: Words(
        phrases=(
            "atendente/atendentes",
            "humano/humana/humanos",
            "pessoa de_verdade/real",
            "uma pessoa",
            "quero/queria/preciso de? alguem/pessoa/gente/humano/ser_humano",
            "alguem de_verdade/real",
            "falar/conversar/chamar/transferir/transfere/passar com? o/a/um/uma? {human}",
            "fala/falo com o/a/um/uma? {human}",
            "me liga/ligue/liguem/ligar/ligam/telefona/telefonem/retorna/retornem/ligarem",
            "liga/ligar/ligue/ligam/liguem pra/para mim",
            "ligacao",
            "entrar/entre/entrem em contato comigo",
            "telefone/numero/whatsapp da/de/do voces/empresa/start/contato/atendimento/central",
            "falar por/no/pelo telefone",
            "central de atendimento",
            "ninguem me? atende/responde",
            "tem alguem ai/online/na_linha",
            "nao quero ... robo/maquina/bot/robozinho/automatico/automatica",
            "chega de robo/bot",
            "ouvidoria",
            "operador/operadores",
            "me passa/passe/transfere/transfira pra/para alguem/atendimento",
            "horario/horarios de/do atendimento",
            "que horas ... abrem/atendem/funcionam",
        ),
        hints=("atendimento", "robo", "procon/anatel", "gerente"),
    ),
    IGNORED: Words(
        phrases=(
            # Paying is done: the boleto is not what they ask for.
            "paguei ... boleto/fatura/conta/mensalidade/pix/internet",
            "ja paguei/pago/pagou",
            "ja fiz/efetuei/realizei o pagamento",
            "ja foi pago",
            "fiz o/um pagamento/pix",
            "pagamento feito/efetuado/realizado/confirmado",
            "boleto/fatura/conta/contas/mensalidade ... paga/pago/pagas/pagos/quitada/quitado",
            "em dia",
            "falta de pagamento",
            "comprovante ... pagamento/pix/boleto",
            # Trouble with something that is not the connection.
            "nao consigo/consegui/conseguimos/da_pra/da_para usar/acessar/entrar/abrir/baixar"
            " no/na/o/a? app/aplicativo/site/email/conta/cadastro/area_do_cliente",
            "app/aplicativo/site/email/telefone/tv ... nao_funciona/nao_abre/nao_carrega/nao_entra"
            "/parou/caiu/travou",
            "endereco de/da instalacao",
            # Cancelling a visit is not cancelling the contract.
            "cancelar/cancela/cancelamento/desmarcar/remarcar a/o? visita/agendamento do/da?"
            " tecnico/tecnica",
            # An answer about the lights, not a request.
            "nenhuma luz/luzinha vermelha/laranja/piscando",
            # Cancelling something that is not the contract.
            "cancelar/cancela/cancelamento/cancelo/cancele de? o/a/os/as/essa/esse/este/esta/um/uma"
            "/meu/minha? boleto/fatura/cobranca/debito/pagamento/compra/pedido/visita/agendamento"
            "/chamado/protocolo/solicitacao/instalacao/mensagem/atendimento",
            # Changing personal data is not a plan change.
            "alterar/alteracao/mudar/mudanca/trocar/troca/atualizar de? o/a/meu/minha? cadastro"
            "/endereco/dados/titular/titularidade/vencimento/email/telefone/nome/data"
            "/data_de_vencimento/dia_de_vencimento/data_do_vencimento/dia_do_vencimento",
        ),
    ),
}

# Typos are corrected only towards these keywords (5+ letters, distinctive enough).
FUZZY_KEYWORDS = _words("""
boleto boletos fatura segunda mensalidade pagamento vencimento codigo digitavel
internet conexao roteador modem desligado apagado lenta devagar travando velocidade
oscilando instavel funciona funcionando conecta conectando cancelar cancelamento rescindir
contrato contratar contratacao assinar instalar instalacao cobertura disponibilidade
atendente atendimento humano suporte tecnico assistencia problema planos alterar alteracao
upgrade vermelha piscando
""")

# Real words one typo away from a keyword: never "corrected" ("cancelado" is not "cancelar").
COMMON_WORDS = _words("""
bolero futura fartura lente lenda cancelado cancelada conectado conectada contratado contratada
contratou contratei instalado instalada instalaram suporta pescando duvida duvidas
""")


# Real requests are short: these bound the work on a pasted wall of text. Emoji and invisible
# characters vanish in normalize, so they do not use up the word budget.
MAX_CHARS = 20_000
MAX_WORDS = 150

# A hint alone decides only when at most this many other meaningful words surround it.
MAX_LOOSE_WORDS = 1
FILLER_WORDS = _words("""
oi ola opa bom boa dia tarde noite tudo bem por favor obrigado obrigada pessoal e ai entao
quero queria gostaria preciso precisava saber sobre o a os as um uma de do da dos das no na em
para pra pro meu minha me eu voce voces com que qual quais isso esse essa aqui la ok sim hoje
agora urgente ajuda ajudar pode poderia mim tem
""")


# --- normalize -----------------------------------------------------------------
_DROPPED_CATEGORIES = {"Mn", "Me", "Cf"}  # accents, keycap/variation marks, zero-width & bidi marks
_NON_WORD = re.compile(r"[\W_]+")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")  # "boletooo", "siiim": no pt word has a letter 3x
_WIFI = re.compile(r"\bwi fi\b")
ABBREVIATIONS: dict[str, str] = {
    "vc": "voce", "vcs": "voces", "ce": "voce", "q": "que", "oq": "o que", "tb": "tambem",
    "tbm": "tambem", "pq": "porque", "pqe": "porque", "porq": "porque", "n": "nao", "naum": "nao",
    "nau": "nao", "hj": "hoje", "mt": "muito", "mto": "muito", "mta": "muita", "td": "tudo",
    "tds": "todos", "blz": "beleza", "vlw": "valeu", "obg": "obrigado", "obgd": "obrigado",
    "obgda": "obrigada", "brigado": "obrigado", "brigada": "obrigada", "pfv": "por favor",
    "pfvr": "por favor", "pf": "por favor", "pls": "por favor", "plz": "por favor",
    "qdo": "quando", "qnd": "quando", "qnt": "quanto", "qto": "quanto", "cmg": "comigo",
    "ctz": "certeza", "agr": "agora", "dps": "depois", "msm": "mesmo", "p": "para", "eh": "e",
    "kd": "cade", "qro": "quero", "qero": "quero", "kero": "quero", "ngm": "ninguem",
    "algm": "alguem", "alg": "alguem", "tel": "telefone", "cel": "celular", "msg": "mensagem",
    "nd": "nada", "sla": "sei la", "flw": "falou", "tmb": "tambem",
}  # fmt: skip


def normalize(text: str) -> str:
    """Lowercase text without accents, emoji or punctuation, abbreviations expanded."""
    # Keycaps: "1️⃣" is 1 + U+FE0F + U+20E3; 🔟 is one character. "2° via" means "2ª via".
    text = text.replace("\u20e3", " ").replace("\U0001f51f", " 10 ").replace("°", "o")
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    text = _LONG_RUN.sub(r"\1", _NON_WORD.sub(" ", text))
    words = (ABBREVIATIONS.get(_squeeze(word), word) for word in text.split())
    return _WIFI.sub("wifi", " ".join(words))


def _squeeze(word: str) -> str:
    """The word with repeated letters collapsed ("simm" -> "sim", "nn" -> "n")."""
    return re.sub(r"([a-z])\1+", r"\1", word)


def _squeezed(text: str) -> frozenset[str]:
    """A word list (one string) with each word squeezed, to compare squeezed answers."""
    return frozenset(_squeeze(word) for word in text.split())


# --- parse_choice ----------------------------------------------------------------
_NUMBER_WORDS: dict[str, int] = {
    "um": 1, "uma": 1, "primeira": 1, "primeiro": 1, "1a": 1, "1o": 1,
    "dois": 2, "duas": 2, "segunda": 2, "segundo": 2, "2a": 2, "2o": 2,
    "tres": 3, "terceira": 3, "terceiro": 3, "3a": 3, "3o": 3,
    "quatro": 4, "quarta": 4, "quarto": 4, "4a": 4, "4o": 4,
    "cinco": 5, "quinta": 5, "quinto": 5, "5a": 5, "5o": 5,
    "seis": 6, "sexta": 6, "sexto": 6, "6a": 6, "6o": 6,
    "sete": 7, "setima": 7, "setimo": 7, "oito": 8, "oitava": 8, "oitavo": 8,
    "nove": 9, "nona": 9, "nono": 9, "dez": 10, "decima": 10, "decimo": 10,
}  # fmt: skip
_CHOICE_LEAD = _words(
    "a o opcao opcoes opc op numero num no nro item quero escolho escolhi escolha vou de na "
    "e seria sera resposta alternativa fico com pela pelo digito marco"
)
_CHOICE_TAIL = _words("por favor obrigado obrigada ok entao mesmo ai")


def parse_choice(text: str, count: int) -> int | None:
    """The option 1..count the text names on its own ("1", "1️⃣", "opção 1", "dois"), else None."""
    words = normalize(text).split()
    while words and words[0] in _CHOICE_LEAD:
        words.pop(0)
    while words and words[-1] in _CHOICE_TAIL:
        words.pop()
    if len(words) != 1:
        return None
    number = _choice_number(words[0], count)
    return number if number is not None and 1 <= number <= count else None


def _choice_number(word: str, count: int) -> int | None:
    if word.isdigit():
        return int(word) if len(word) <= 2 else None
    if word in ("ultima", "ultimo"):
        return count
    return _NUMBER_WORDS.get(word)


# --- parse_yes_no ------------------------------------------------------------------
_EMOJI_ANSWERS = {
    "\U0001f44d": " sim ", "\u2705": " sim ", "\u2714": " sim ", "\u2611": " sim ",
    "\U0001f44c": " sim ", "\U0001f197": " sim ", "\U0001f44e": " nao ", "\u274c": " nao ",
    "\u2716": " nao ", "\U0001f6ab": " nao ", "\u274e": " nao ",
}  # fmt: skip
_AFFIRM = _squeezed(
    "sim s ss si sm yes y yep isso claro pode ok okay certo correto exato exatamente positivo "
    "afirmativo uhum aham ahan perfeito beleza quero aceito bora manda"
)
_DONE = _squeezed(
    "voltou funcionou funciona funcionando ligou acendeu acende resolveu resolvido normalizou "
    "conectou conecta consegui foi tem"
)
_DENY = _squeezed("nao negativo nope no nop nunca jamais nem nada nenhum nenhuma naum")
_STILL = _squeezed("continua continuo ainda persiste igual piorou sem")
_ALONE_YES = {"ta", "esta", "ja", "tudo certo", "deu certo", "com certeza", "pode ser"}
_YES_PHRASES = re.compile(r"\b(deu certo|com certeza|tudo certo|pode ser|ta sim|esta sim)\b")
_UNSURE = re.compile(
    r"\b(nao sei|sei la|talvez|nao tenho certeza|nao entendi|como assim|nao lembro|mais ou menos"
    r"|nao consigo ver|nao da pra ver|nao sei dizer|acho que sim e nao)\b"
)
_DENIED_RESULT = re.compile(
    r"\b(nao|nem|nunca)( \w+)? (voltou|volta|funcionou|funciona|ligou|liga|acendeu|acende"
    r"|resolveu|resolve|deu|conectou|conecta|foi|normalizou|tem|mudou|adiantou|melhorou)\b"
)


def parse_yes_no(text: str) -> bool | None:
    """True for yes ("sim", "1", "voltou", "👍"), False for no ("não", "2", "não voltou")."""
    for emoji, word in _EMOJI_ANSWERS.items():
        text = text.replace(emoji, word)
    said = normalize(text)
    choice = parse_choice(said, 2)
    if choice is not None:
        return choice == 1
    if not said or _UNSURE.search(said):
        return None
    if said in _ALONE_YES:
        return True
    return _weigh_yes_no(said, {_squeeze(word) for word in said.split()})


def _weigh_yes_no(said: str, words: set[str]) -> bool | None:
    """Decide from the words found; an explicit negation wins over a result word."""
    affirmed = bool(words & _AFFIRM) or bool(_YES_PHRASES.search(said))
    denied = bool(words & _DENY)
    if denied and affirmed:
        return False if _DENIED_RESULT.search(said) else None
    if denied:
        return False
    if affirmed:
        return True
    if words & _STILL:
        return False
    return True if words & _DONE else None


# --- detect_command ------------------------------------------------------------------
_COMMANDS: dict[str, str] = {
    **dict.fromkeys(
        ("menu", "meun", "mneu", "memu", "inicio", "menu principal", "menu inicial",
         "voltar menu", "volta menu", "voltar inicio", "volta inicio", "voltar menu principal",
         "voltar menu inicial", "inicio menu", "comecar novo", "recomecar", "opcoes",
         "menu opcoes", "voltar comeco", "tela inicial", "voltar principal", "principal"),
        CMD_MENU,
    ),
    **dict.fromkeys(
        ("voltar", "volta", "anterior", "voltar anterior", "menu anterior", "voltar menu anterior",
         "retornar", "retorna", "voltar etapa", "passo anterior", "voltar atras", "volta atras",
         "voltar uma etapa", "voltar um passo", "opcao anterior"),
        CMD_BACK,
    ),
    **dict.fromkeys(
        ("sair", "sai", "encerrar", "encerra", "encerrar atendimento", "encerrar conversa",
         "encerrar chat", "finalizar", "finalizar atendimento", "finalizar conversa", "terminar",
         "fim", "tchau", "tchauzinho", "xau", "bye", "adeus", "ate mais", "ate logo", "ate breve",
         "ate proxima", "falou", "fui", "sair atendimento", "sair conversa", "sair chat", "parar",
         "pare", "stop", "so isso", "era so isso", "so isso mesmo", "nada mais", "mais nada",
         "hoje so", "terminar atendimento", "fechar", "fechar atendimento", "sair menu"),
        CMD_EXIT,
    ),
}  # fmt: skip
_COMMAND_KEYS = {_squeeze(phrase): command for phrase, command in _COMMANDS.items()}
_COMMAND_FILLERS = _words(
    "o a os as ao aos do da de para pra pro por favor obrigado obrigada valeu muito ok certo "
    "beleza entao quero queria gostaria eu me manda mande mostra mostre mostrar ver ir vamos "
    "pode agora oi ola e esse este no na um uma tudo bem ai"
)


def detect_command(text: str) -> str | None:
    """CMD_MENU / CMD_BACK / CMD_EXIT when the whole message is that command, else None."""
    words = [word for word in normalize(text).split() if word not in _COMMAND_FILLERS]
    if not words or len(words) > 4:
        return None
    return _COMMAND_KEYS.get(_squeeze(" ".join(words)))


# --- detect_intent ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Rule:
    intent: str
    strong: bool
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class _Match:
    intent: str
    strong: bool
    start: int
    end: int

    def inside(self, other: _Match) -> bool:
        """True when `other` covers this match and is longer (or hides it on purpose)."""
        covers = other.start <= self.start and self.end <= other.end
        longer = other.end - other.start > self.end - self.start
        return covers and other is not self and (longer or (other.intent == IGNORED != self.intent))


_GAP = r"(?: \w+){0,3}"
_SENTENCE_BREAK = re.compile(r"[,;:!?\n\r()\[\]]+|(?<!\d)\.|\.(?!\d)")
_NEGATED = re.compile(
    r"(?:^|\s)(?:nao|nem|nunca|jamais)(?: (?:quero|queria|quer|queremos|preciso|precisa"
    r"|precisamos|desejo|deseja|pretendo|vou|gostaria|e|era|foi|esta|ta|to|estou|tenho interesse))?"
    r"(?: (?:mais|de|do|da|dos|das|o|a|os|as|um|uma|em|no|na|para|pra|pro|falar|com|ser|fazer"
    r"|ter|meu|minha|esse|essa|isso|sobre))*$"
)


def _word_regex(word: str) -> str:
    """One word of a phrase as a regex: a number, a CEP, a prefix or the literal word."""
    if word == "<num>":
        return r"\d+"
    if word == "<cep>":
        return r"\d{5} ?\d{3}"
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"\w*"
    return re.escape(word)


def _alternatives(piece: str) -> list[str]:
    """The choices of one phrase piece, groups expanded: "{modem}/fonte" -> modem, ..., fonte."""
    found = []
    for alternative in piece.split("/"):
        group = alternative[1:-1] if alternative.startswith("{") else None
        found += GROUPS[group].split("/") if group else [alternative]
    return found


def _piece_regex(piece: str) -> str:
    # Longest first: the regex takes the first alternative that fits ("data de vencimento").
    spaced = sorted((alt.replace("_", " ") for alt in _alternatives(piece)), key=len, reverse=True)
    words = (" ".join(map(_word_regex, alternative.split())) for alternative in spaced)
    return "(?:" + "|".join(words) + ")"


def _compile(phrase: str) -> re.Pattern[str]:
    """One vocabulary phrase as a regex over " " + normalized text (see the syntax above)."""
    parts = []
    for piece in phrase.split():
        if piece == "...":
            parts.append(_GAP)
        elif piece == "^":
            parts.append(r"(?<![^;])")
        elif piece == "$":
            parts.append(r"(?= ;|$)")
        elif piece.endswith("?"):
            parts.append(f"(?: {_piece_regex(piece[:-1])})?")
        else:
            parts.append(f" {_piece_regex(piece)}")
    return re.compile("".join(parts) + r"(?!\w)")


def _build_rules() -> tuple[_Rule, ...]:
    """The whole vocabulary compiled once, at import."""
    rules = []
    for intent, words in VOCABULARY.items():
        rules += [_Rule(intent, True, _compile(phrase)) for phrase in words.phrases]
        rules += [_Rule(intent, False, _compile(phrase)) for phrase in words.hints]
    return tuple(rules)


def _vocabulary_words() -> frozenset[str]:
    """Every word the table spells out: such a word is never taken for a typo."""
    phrases = [p for words in VOCABULARY.values() for p in (*words.phrases, *words.hints)]
    return frozenset(re.findall(r"[a-z]+", " ".join([*GROUPS.values(), *phrases])))


def _by_initial(keywords: frozenset[str]) -> dict[str, list[str]]:
    """Keywords by first letter: a typo rarely hits the first letter, and it halves false fixes."""
    found: dict[str, list[str]] = {}
    for keyword in sorted(keywords):
        found.setdefault(keyword[0], []).append(keyword)
    return found


_RULES = _build_rules()
_KNOWN_WORDS = _vocabulary_words() | COMMON_WORDS
_FUZZY_BY_INITIAL = _by_initial(FUZZY_KEYWORDS)


@lru_cache(maxsize=4096)
def _correct(word: str) -> str:
    """`word`, or the keyword it is a typo of (one edit away, two for long words)."""
    if word in _KNOWN_WORDS or not word.isalpha():
        return word
    if _squeeze(word) in _KNOWN_WORDS:
        return _squeeze(word)  # "semm", "nett"
    if len(word) < 4:
        return word
    limit = 1 if len(word) < 9 else 2
    found = process.extractOne(
        word, _FUZZY_BY_INITIAL.get(word[0], ()), scorer=OSA.distance, score_cutoff=limit
    )
    return found[0] if found else word


def _prepare(text: str) -> str:
    """Normalized sentences joined by " ; " (phrases never span two), typos corrected."""
    sentences = (normalize(part) for part in _SENTENCE_BREAK.split(text[:MAX_CHARS]))
    joined = " ; ".join(sentence for sentence in sentences if sentence)
    return " ".join(_correct(word) for word in joined.split()[:MAX_WORDS])


def _find_matches(padded: str) -> list[_Match]:
    return [
        _Match(rule.intent, rule.strong, found.start(), found.end())
        for rule in _RULES
        for found in rule.pattern.finditer(padded)
    ]


def _keep(match: _Match, matches: list[_Match], padded: str) -> bool:
    """A match counts unless a longer one covers it or a negation right before cancels it."""
    if any(match.inside(other) for other in matches):
        return False
    return not _NEGATED.search(padded[: match.start])


def _resolve(matches: list[_Match]) -> str | None:
    """The intent the surviving matches point to (strong first, then PRIORITY)."""
    strong = {m.intent for m in matches if m.strong}
    found = strong or {m.intent for m in matches}
    if not strong and len({_MENU_OF.get(intent, intent) for intent in found}) > 1:
        return None  # only weak hints, and they disagree
    winner = next((intent for intent in PRIORITY if intent in found), None)
    every = {m.intent for m in matches}
    if _MENU_OF.get(winner) == PLANO and set(PLAN_MENU_INTENTS) <= every:
        return PLANO  # "cancelar ou mudar de plano": the customer has not chosen yet
    return winner


def _loose_words(padded: str, matches: list[_Match]) -> int:
    """How many meaningful words no match explains ("ja reiniciei o modem" -> ja, reiniciei)."""
    covered = {i for m in matches for i in range(m.start, m.end)}
    words = re.finditer(r"\w+", padded)
    return sum(1 for w in words if w.start() not in covered and w.group() not in FILLER_WORDS)


def detect_intent(text: str) -> str | None:
    """The most specific intent the customer's free words name, or None when nothing is clear."""
    padded = " " + _prepare(text)
    matches = _find_matches(padded)
    kept = [m for m in matches if _keep(m, matches, padded) and m.intent != IGNORED]
    if not any(m.strong for m in kept) and _loose_words(padded, kept) > MAX_LOOSE_WORDS:
        return None  # a weak hint inside a longer message says too little
    return _resolve(kept)
